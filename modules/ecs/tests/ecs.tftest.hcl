# Applies the ecs module against the emulator on real prerequisites (tests/harness wires it to
# tests/setup) and asserts what matters: private networking, hardened containers,
# least-privilege roles, the token's key (the token itself is never Terraform's), deployment
# safety and autoscaling. Each run sets only what it varies.

variables {
  # The two services of the original design, as live/_common/ecs.hcl and stack.json define them.
  services = {
    frontend = {
      service_name              = "frontend-service"
      ecr_repository            = "frontend-service"
      image_tag                 = "0123abc"
      port                      = 5000
      access                    = ["read-token", "send-to-queue"]
      load_balanced             = true
      desired_count             = 2
      min_count                 = 2
      max_count                 = 6
      health_check_start_period = 15
      scaling                   = { cpu_target = 60, requests_per_target = 1000 }
    }
    worker = {
      service_name              = "queue-worker-service"
      ecr_repository            = "sqs-puller-service"
      image_tag                 = "0123abc"
      port                      = 5001
      access                    = ["consume-queue", "write-data"]
      min_count                 = 1
      max_count                 = 4
      health_check_start_period = 40
      scaling                   = { backlog_per_task = 100 }
    }
  }
}

run "apply" {
  module {
    source = "./tests/harness"
  }

  # --- cluster, services, networking
  assert {
    condition     = output.ecs.cluster_name == "ecs-test-cluster"
    error_message = "The cluster must be <name>-cluster."
  }

  assert {
    condition     = output.ecs.services.frontend.service_name == "frontend-service" && output.ecs.services.worker.service_name == "queue-worker-service"
    error_message = "The services must be frontend-service and queue-worker-service."
  }

  assert {
    condition = (
      output.ecs.services.frontend.task_definition_family == "ecs-test-frontend-service" &&
      output.ecs.services.worker.task_definition_family == "ecs-test-queue-worker-service"
    )
    error_message = "Task definition families must be <name>-<service>."
  }

  # --- containers
  assert {
    condition = alltrue([
      for service in output.ecs.services : alltrue([
        for c in jsondecode(service.container_definitions) :
        c.readonlyRootFilesystem == true && can(regex("^[1-9][0-9]*(:[0-9]+)?$", c.user)) && c.privileged == false &&
        contains([for m in c.mountPoints : m.containerPath], "/tmp") && c.linuxParameters.capabilities.drop == ["ALL"]
      ])
    ])
    error_message = "Every container: read-only root, non-root numeric user, not privileged, all capabilities dropped, a writable /tmp."
  }

  assert {
    condition = (
      strcontains(jsondecode(output.ecs.services.frontend.container_definitions)[0].healthCheck.command[3], "http://127.0.0.1:5000/") &&
      strcontains(jsondecode(output.ecs.services.worker.container_definitions)[0].healthCheck.command[3], "http://127.0.0.1:5001/") &&
      jsondecode(output.ecs.services.worker.container_definitions)[0].healthCheck.startPeriod == 40
    )
    error_message = "Container health checks must probe the frontend on 5000 and the worker on 5001."
  }

  assert {
    condition = (
      [for p in jsondecode(output.ecs.services.frontend.container_definitions)[0].portMappings : p.containerPort] == [5000] &&
      length(jsondecode(output.ecs.services.worker.container_definitions)[0].portMappings) == 0
    )
    error_message = "Only the load-balanced frontend maps its port."
  }

  assert {
    condition = alltrue([
      for key, service in output.ecs.services :
      jsondecode(service.container_definitions)[0].logConfiguration.options["awslogs-group"] == service.log_group_name &&
      service.log_group_name == "/ecs/ecs-test/${service.service_name}"
    ])
    error_message = "Containers must log to their service's log group /ecs/<name>/<service>."
  }

  assert {
    condition = (
      output.ecs.containers.frontend.environment == {
        QUEUE_URL = output.setup.queue_url, TOKEN_PARAMETER = "/app/frontend/token", AWS_REGION = "eu-central-1", PORT = "5000"
      } &&
      output.ecs.containers.worker.environment == {
        QUEUE_URL = output.setup.queue_url, DATA_BUCKET = output.setup.bucket_name, DATA_PREFIX = "messages/", AWS_REGION = "eu-central-1", PORT = "5001"
      } &&
      { for e in jsondecode(output.ecs.services.worker.container_definitions)[0].environment : e.name => e.value } == output.ecs.containers.worker.environment
    )
    error_message = "The container environments must be exactly the contract's variables (no token), as registered."
  }

  assert {
    condition = alltrue([
      for key, service in output.ecs.services :
      length(output.ecs.containers[key].secrets) == 0 && length(try(jsondecode(service.container_definitions)[0].secrets, null) == null ? [] : jsondecode(service.container_definitions)[0].secrets) == 0
    ])
    error_message = "The token reaches the frontend only through SSM at runtime: no container secrets."
  }

  # --- IAM: every permission scoped to the given ARNs
  assert {
    condition = (
      one([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s if s.Sid == "ReadToken"]).Action == "ssm:GetParameter" &&
      one([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s if s.Sid == "ReadToken"]).Resource == "arn:aws:ssm:eu-central-1:123456789012:parameter/app/frontend/token" &&
      output.ecs.token_parameter_arn == "arn:aws:ssm:eu-central-1:123456789012:parameter/app/frontend/token" &&
      one([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s if s.Sid == "DecryptToken"]).Action == "kms:Decrypt" &&
      one([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s if s.Sid == "DecryptToken"]).Resource == output.ecs.token_kms_key_arn &&
      one([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s if s.Sid == "DecryptToken"]).Condition.StringEquals["kms:ViaService"] == "ssm.eu-central-1.amazonaws.com" &&
      one([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s if s.Sid == "SendToQueue"]).Action == "sqs:SendMessage" &&
      one([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s if s.Sid == "SendToQueue"]).Resource == output.setup.queue_arn &&
      length(jsondecode(output.ecs.services.frontend.task_role_policy).Statement) == 3
    )
    error_message = "The frontend task role may only read the token parameter (decrypting with the token key through SSM) and send to the queue."
  }

  assert {
    condition = (
      toset(one([for s in jsondecode(output.ecs.services.worker.task_role_policy).Statement : s if s.Sid == "ConsumeQueue"]).Action) ==
      toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]) &&
      one([for s in jsondecode(output.ecs.services.worker.task_role_policy).Statement : s if s.Sid == "ConsumeQueue"]).Resource == output.setup.queue_arn &&
      one([for s in jsondecode(output.ecs.services.worker.task_role_policy).Statement : s if s.Sid == "WriteDataPrefix"]).Action == "s3:PutObject" &&
      one([for s in jsondecode(output.ecs.services.worker.task_role_policy).Statement : s if s.Sid == "WriteDataPrefix"]).Resource == "${output.setup.bucket_arn}/messages/*" &&
      length(jsondecode(output.ecs.services.worker.task_role_policy).Statement) == 2
    )
    error_message = "The worker task role may only consume the queue and put objects under the data prefix."
  }

  assert {
    condition = alltrue([
      for service in output.ecs.services : alltrue([
        for s in jsondecode(service.execution_role_policy).Statement : s.Resource != "*" || s.Action == "ecr:GetAuthorizationToken"
      ])
    ])
    error_message = "Only ecr:GetAuthorizationToken may use Resource \"*\" in the execution role."
  }

  assert {
    condition = (
      one([for s in jsondecode(output.ecs.services.worker.execution_role_policy).Statement : s if s.Sid == "PullServiceImage"]).Resource ==
      "arn:aws:ecr:eu-central-1:123456789012:repository/sqs-puller-service" &&
      one([for s in jsondecode(output.ecs.services.worker.execution_role_policy).Statement : s if s.Sid == "WriteServiceLogs"]).Resource ==
      "arn:aws:logs:eu-central-1:123456789012:log-group:/ecs/ecs-test/queue-worker-service:log-stream:*" &&
      !strcontains(output.ecs.services.worker.execution_role_policy, "ssm:")
    )
    error_message = "A service's execution policy may pull only its repository and write only its log group (and never read SSM)."
  }

  # --- autoscaling
  assert {
    condition = (
      output.ecs.services.frontend.autoscaling_policy_names == { cpu = "ecs-test-frontend-service-cpu", requests = "ecs-test-frontend-service-requests" } &&
      output.ecs.services.worker.autoscaling_policy_names == { backlog = "ecs-test-queue-worker-service-backlog-per-task" }
    )
    error_message = "The frontend must scale on CPU and ALB requests per target, the worker on backlog per task."
  }

  # --- the token: its name and key; the parameter is made by `make token`, not here
  assert {
    condition     = output.ecs.token_parameter_name == "/app/frontend/token" && output.ecs.token_kms_key_alias == "alias/ecs-test-token"
    error_message = "The token parameter must be /app/frontend/token, its key alias/<name>-token."
  }
}

run "read_back" {
  module {
    source = "./tests/verify"
  }

  variables {
    token_parameter_name = run.apply.ecs.token_parameter_name
    token_kms_key_alias  = run.apply.ecs.token_kms_key_alias
    security_group_ids   = { for key, service in run.apply.ecs.services : key => service.security_group_id }
    task_role_name       = "ecs-test-frontend-service-task"
  }

  assert {
    condition     = length(output.token_parameters) == 0
    error_message = "The module must not write the token parameter (make token does)."
  }

  assert {
    condition = (
      output.token_key.arn == run.apply.ecs.token_kms_key_arn && output.token_key.key_manager == "CUSTOMER" &&
      output.token_key.key_state == "Enabled" && output.token_key.key_usage == "ENCRYPT_DECRYPT"
    )
    error_message = "The token alias must name an enabled customer-managed key, the one the module outputs."
  }

  assert {
    condition = (
      [for r in output.rules.frontend : [r.ip_protocol, r.from_port, r.to_port, r.referenced_security_group_id] if !r.is_egress] ==
      [["tcp", 5000, 5000, run.apply.setup.alb_security_group_id]]
    )
    error_message = "AWS must hold exactly one frontend ingress rule: TCP 5000 from the ALB security group."
  }

  assert {
    condition     = length([for r in output.rules.worker : r if !r.is_egress]) == 0
    error_message = "AWS must hold no ingress rule for the worker."
  }

  assert {
    condition = alltrue([
      for service in ["frontend", "worker"] :
      [for r in output.rules[service] : [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4] if r.is_egress] == [["tcp", 443, 443, "0.0.0.0/0"]]
    ])
    error_message = "AWS must hold exactly one egress rule per task security group: TCP 443."
  }

  assert {
    condition = (
      jsondecode(output.task_role_assume_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012" &&
      jsondecode(output.task_role_assume_policy).Statement[0].Principal.Service == "ecs-tasks.amazonaws.com"
    )
    error_message = "The task roles must trust ECS tasks of this account only."
  }
}

run "kms_and_exec" {
  module {
    source = "./tests/harness"
  }

  variables {
    use_kms_key = true
    settings    = { enable_execute_command = true }
  }

  assert {
    condition = (
      toset(flatten([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s.Resource if s.Sid == "EncryptQueueMessages"])) == toset([output.setup.kms_key_arn]) &&
      one([for s in jsondecode(output.ecs.services.frontend.task_role_policy).Statement : s if s.Sid == "DecryptToken"]).Resource == output.ecs.token_kms_key_arn
    )
    error_message = "With a queue key, the frontend encrypts queue messages with exactly that key; the token stays under its own key."
  }

  assert {
    condition = (
      toset(flatten([for s in jsondecode(output.ecs.services.worker.task_role_policy).Statement : s.Resource if s.Sid == "DecryptQueueMessages" || s.Sid == "EncryptDataObjects"])) == toset([output.setup.kms_key_arn]) &&
      toset(one([for s in jsondecode(output.ecs.services.worker.task_role_policy).Statement : s if s.Sid == "EncryptDataObjects"]).Action) == toset(["kms:GenerateDataKey", "kms:Decrypt"])
    )
    error_message = "With KMS keys, the worker may use exactly the given key: to decrypt queue messages and encrypt data objects."
  }

  assert {
    condition = alltrue([for service in output.ecs.services :
      one([for s in jsondecode(service.task_role_policy).Statement : s if s.Sid == "EcsExec"]).Resource == "*" &&
      alltrue([for a in one([for s in jsondecode(service.task_role_policy).Statement : s if s.Sid == "EcsExec"]).Action : startswith(a, "ssmmessages:")])
    ])
    error_message = "ECS Exec, when enabled, adds only the ssmmessages channel actions to the task roles."
  }
}

run "without_autoscaling" {
  command = plan

  module {
    source = "./tests/harness"
  }

  variables {
    settings = { enable_autoscaling = false, container_insights = false }
  }

  assert {
    condition     = alltrue([for service in output.ecs.services : service.autoscaling_policy_names == {}])
    error_message = "enable_autoscaling = false must remove every scaling policy (and then allows Container Insights off)."
  }
}

# A third service is one more entry: planned with its own task definition, role, log group,
# security group and scaling. (That nothing else changes is asserted on a real plan's JSON by
# tests/modules/test_ecs_state.py.)
run "third_service" {
  command = plan

  module {
    source = "./tests/harness"
  }

  variables {
    services = merge(var.services, {
      audit = {
        service_name   = "audit-service"
        ecr_repository = "audit-service"
        image_tag      = "0123abc"
        port           = 5002
        access         = ["consume-queue"]
        min_count      = 1
        max_count      = 3
        scaling        = { backlog_per_task = 50, cpu_target = 70 }
        environment    = { LOG_LEVEL = "INFO" }
      }
    })
  }

  assert {
    condition = (
      output.ecs.services.audit.service_name == "audit-service" &&
      output.ecs.services.audit.task_definition_family == "ecs-test-audit-service" &&
      output.ecs.services.audit.log_group_name == "/ecs/ecs-test/audit-service" &&
      output.ecs.services.audit.autoscaling_policy_names == { backlog = "ecs-test-audit-service-backlog-per-task", cpu = "ecs-test-audit-service-cpu" }
    )
    error_message = "The third service gets its own task definition family, log group and scaling policies."
  }

  assert {
    condition = (
      output.ecs.containers.audit.environment == { AWS_REGION = "eu-central-1", PORT = "5002", QUEUE_URL = output.setup.queue_url, LOG_LEVEL = "INFO" } &&
      one([for s in jsondecode(output.ecs.services.audit.task_role_policy).Statement : s if s.Sid == "ConsumeQueue"]).Resource == output.setup.queue_arn &&
      length(jsondecode(output.ecs.services.audit.task_role_policy).Statement) == 1
    )
    error_message = "The third service's role may do what its access names, and its container gets the variables that go with it."
  }
}

# The token key's policy, on the module itself (a plan: the policy is known before the apply).
# Only the named principals may use the key, each through SSM and for the token parameter
# only; the account's IAM administers it but gets no Encrypt or Decrypt.
run "token_key_policy" {
  command = plan

  variables {
    name                    = "ecs-test"
    vpc_id                  = run.apply.setup.vpc_id
    private_subnet_ids      = run.apply.setup.private_subnet_ids
    alb_security_group_id   = run.apply.setup.alb_security_group_id
    target_group_arn        = run.apply.setup.target_group_arn
    alb_arn_suffix          = run.apply.setup.alb_arn_suffix
    target_group_arn_suffix = run.apply.setup.target_group_arn_suffix
    queue_url               = run.apply.setup.queue_url
    queue_arn               = run.apply.setup.queue_arn
    queue_name              = run.apply.setup.queue_name
    data_bucket_name        = run.apply.setup.bucket_name
    data_bucket_arn         = run.apply.setup.bucket_arn
    token_operator_arns     = ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Platform_*"]
    services = {
      for key, service in var.services : key => merge(service, {
        image_repository = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/${service.ecr_repository}"
      })
    }
  }

  assert {
    condition     = aws_kms_key.token.enable_key_rotation && aws_kms_key.token.deletion_window_in_days == 30 && aws_kms_alias.token.name == "alias/ecs-test-token"
    error_message = "The token key must rotate, keep a 30-day deletion window and be aliased alias/<name>-token."
  }

  assert {
    condition = (
      [for s in jsondecode(data.aws_iam_policy_document.token_key.json).Statement : s.Sid] ==
      ["AccountAdministersTheKey", "OperatorsWriteTheTokenThroughSsm", "ReadersDecryptTheTokenThroughSsm"] &&
      alltrue([for s in jsondecode(data.aws_iam_policy_document.token_key.json).Statement : s.Effect == "Allow" && s.Principal.AWS == "arn:aws:iam::123456789012:root"])
    )
    error_message = "The token key policy must have exactly the administration, operator and reader statements."
  }

  assert {
    condition = length(setintersection(
      toset(flatten([one([for s in jsondecode(data.aws_iam_policy_document.token_key.json).Statement : s.Action if s.Sid == "AccountAdministersTheKey"])])),
      toset(["kms:*", "kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"])
    )) == 0
    error_message = "Administering the key must not include using it."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(data.aws_iam_policy_document.token_key.json).Statement : (
        s.Condition.StringEquals["kms:ViaService"] == "ssm.eu-central-1.amazonaws.com" &&
        s.Condition.StringEquals["kms:EncryptionContext:PARAMETER_ARN"] == "arn:aws:ssm:eu-central-1:123456789012:parameter/app/frontend/token"
      ) if s.Sid != "AccountAdministersTheKey"
    ])
    error_message = "Every use of the token key must go through SSM and be for the token parameter."
  }

  assert {
    condition = (
      one([for s in jsondecode(data.aws_iam_policy_document.token_key.json).Statement : s if s.Sid == "ReadersDecryptTheTokenThroughSsm"]).Action == "kms:Decrypt" &&
      one([for s in jsondecode(data.aws_iam_policy_document.token_key.json).Statement : s if s.Sid == "ReadersDecryptTheTokenThroughSsm"]).Condition.ArnLike["aws:PrincipalArn"] ==
      "arn:aws:iam::123456789012:role/ecs-test-frontend-service-task" &&
      toset(one([for s in jsondecode(data.aws_iam_policy_document.token_key.json).Statement : s if s.Sid == "OperatorsWriteTheTokenThroughSsm"]).Action) == toset(["kms:Decrypt", "kms:Encrypt"]) &&
      one([for s in jsondecode(data.aws_iam_policy_document.token_key.json).Statement : s if s.Sid == "OperatorsWriteTheTokenThroughSsm"]).Condition.ArnLike["aws:PrincipalArn"] ==
      "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Platform_*"
    )
    error_message = "Only the frontend's task role may decrypt the token, and only the operators may also encrypt it."
  }
}
