# State of the layout before modules/ecs-service (one resource per service, written twice)
# follows to the services["frontend"] and services["worker"] instances, so no service, task
# definition family, role or log group is replaced. Egress rules move for the default
# egress_cidr_blocks only: rules keyed by other CIDRs (none in live/) are created anew. The
# execution role's one inline policy for both services ("pull-images-write-logs") gives way
# to one policy per service on the same role (created by the same apply that deletes it).

moved {
  from = aws_cloudwatch_log_group.frontend
  to   = module.service["frontend"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_ecs_task_definition.frontend
  to   = module.service["frontend"].aws_ecs_task_definition.this
}

moved {
  from = aws_ecs_service.frontend
  to   = module.service["frontend"].aws_ecs_service.this
}

moved {
  from = aws_iam_role.frontend_task
  to   = module.service["frontend"].aws_iam_role.task
}

moved {
  from = aws_iam_role_policy.frontend_task
  to   = module.service["frontend"].aws_iam_role_policy.task
}

moved {
  from = aws_security_group.frontend
  to   = module.service["frontend"].aws_security_group.this
}

moved {
  from = aws_vpc_security_group_egress_rule.https["frontend-cidr-0.0.0.0/0"]
  to   = module.service["frontend"].aws_vpc_security_group_egress_rule.https["cidr-0.0.0.0/0"]
}

moved {
  from = aws_appautoscaling_target.frontend
  to   = module.service["frontend"].aws_appautoscaling_target.this
}

moved {
  from = aws_cloudwatch_log_group.worker
  to   = module.service["worker"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_ecs_task_definition.worker
  to   = module.service["worker"].aws_ecs_task_definition.this
}

moved {
  from = aws_ecs_service.worker
  to   = module.service["worker"].aws_ecs_service.this
}

moved {
  from = aws_iam_role.worker_task
  to   = module.service["worker"].aws_iam_role.task
}

moved {
  from = aws_iam_role_policy.worker_task
  to   = module.service["worker"].aws_iam_role_policy.task
}

moved {
  from = aws_security_group.worker
  to   = module.service["worker"].aws_security_group.this
}

moved {
  from = aws_vpc_security_group_egress_rule.https["worker-cidr-0.0.0.0/0"]
  to   = module.service["worker"].aws_vpc_security_group_egress_rule.https["cidr-0.0.0.0/0"]
}

moved {
  from = aws_appautoscaling_target.worker
  to   = module.service["worker"].aws_appautoscaling_target.this
}

moved {
  from = aws_vpc_security_group_ingress_rule.frontend_from_alb
  to   = module.service["frontend"].aws_vpc_security_group_ingress_rule.from_load_balancer[0]
}

moved {
  from = aws_appautoscaling_policy.frontend_cpu[0]
  to   = module.service["frontend"].aws_appautoscaling_policy.this["cpu"]
}

moved {
  from = aws_appautoscaling_policy.frontend_requests[0]
  to   = module.service["frontend"].aws_appautoscaling_policy.this["requests"]
}

moved {
  from = aws_appautoscaling_policy.worker_backlog[0]
  to   = module.service["worker"].aws_appautoscaling_policy.this["backlog"]
}
