"""CKV_ORG_2: ingress from the whole internet only on HTTP/HTTPS (the ALB's listener ports)."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck
from org_common import WORLD_CIDRS, as_int, as_list, blocks, unwrap

PUBLIC_PORTS = frozenset({80, 443})


def _world_open(rule: dict[str, Any]) -> bool:
    cidrs = {
        *as_list(rule.get("cidr_blocks")),
        *as_list(rule.get("ipv6_cidr_blocks")),
        *as_list(rule.get("cidr_ipv4")),
        *as_list(rule.get("cidr_ipv6")),
    }
    return bool(cidrs & WORLD_CIDRS)


def _only_public_ports(rule: dict[str, Any]) -> bool:
    protocol = str(unwrap(rule.get("protocol", rule.get("ip_protocol"))) or "").lower()
    if protocol in {"-1", "all"}:
        return False
    from_port, to_port = as_int(rule.get("from_port")), as_int(rule.get("to_port"))
    return from_port is not None and from_port == to_port and from_port in PUBLIC_PORTS


class SecurityGroupWorldIngress(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ingress from 0.0.0.0/0 or ::/0 is allowed only on ports 80 and 443",
            id="CKV_ORG_2",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=(
                "aws_security_group",
                "aws_security_group_rule",
                "aws_vpc_security_group_ingress_rule",
            ),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if self.entity_type == "aws_security_group":
            rules = blocks(conf.get("ingress"))
        elif self.entity_type == "aws_security_group_rule":
            rules = [conf] if unwrap(conf.get("type")) == "ingress" else []
        else:
            rules = [conf]
        for rule in rules:
            if _world_open(rule) and not _only_public_ports(rule):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = SecurityGroupWorldIngress()
