# Applies the ecs module against the emulator on real prerequisites (tests/setup) and asserts
# what matters: private networking, hardened containers, least-privilege roles, a token that
# exists in SSM but never in Terraform's state, deployment safety and autoscaling.

variables {
  name                      = "ecs-test"
  frontend_image_repository = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/frontend-service"
  frontend_image_tag        = "0123abc"
  worker_image_repository   = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/sqs-puller-service"
  worker_image_tag          = "0123abc"
  log_retention_days        = 14
  tags                      = { Project = "ingest-pipeline", Environment = "test", ManagedBy = "terraform" }
}

run "setup" {
  module {
    source = "./tests/setup"
  }

  variables {
    name = "ecs-test"
  }
}

run "apply" {
  variables {
    vpc_id                  = run.setup.vpc_id
    private_subnet_ids      = run.setup.private_subnet_ids
    alb_security_group_id   = run.setup.alb_security_group_id
    target_group_arn        = run.setup.target_group_arn
    alb_arn_suffix          = run.setup.alb_arn_suffix
    target_group_arn_suffix = run.setup.target_group_arn_suffix
    queue_url               = run.setup.queue_url
    queue_arn               = run.setup.queue_arn
    queue_name              = run.setup.queue_name
    data_bucket_name        = run.setup.bucket_name
    data_bucket_arn         = run.setup.bucket_arn
  }

  # --- cluster, services, networking
  assert {
    condition     = output.cluster_name == "ecs-test-cluster" && one([for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"]) == "enabled"
    error_message = "The cluster must be <name>-cluster with Container Insights enabled."
  }

  assert {
    condition     = output.frontend_service_name == "frontend-service" && output.worker_service_name == "queue-worker-service"
    error_message = "The services must be frontend-service and queue-worker-service."
  }

  assert {
    condition = alltrue([
      for service in [aws_ecs_service.frontend, aws_ecs_service.worker] :
      service.launch_type == "FARGATE" && alltrue([for nc in service.network_configuration : nc.assign_public_ip == false && toset(nc.subnets) == toset(run.setup.private_subnet_ids)])
    ])
    error_message = "Both services must run on Fargate in the private subnets without a public IP."
  }

  assert {
    condition = alltrue([
      for service in [aws_ecs_service.frontend, aws_ecs_service.worker] :
      length(service.deployment_circuit_breaker) == 1 && service.deployment_circuit_breaker[0].enable && service.deployment_circuit_breaker[0].rollback
    ])
    error_message = "Both services must have the deployment circuit breaker with rollback."
  }

  assert {
    condition     = aws_ecs_service.frontend.enable_execute_command == false && aws_ecs_service.worker.enable_execute_command == false
    error_message = "ECS Exec must be off by default."
  }

  assert {
    condition = (
      length(aws_ecs_service.frontend.load_balancer) == 1 &&
      one(aws_ecs_service.frontend.load_balancer).target_group_arn == run.setup.target_group_arn &&
      one(aws_ecs_service.frontend.load_balancer).container_name == "frontend-service" &&
      one(aws_ecs_service.frontend.load_balancer).container_port == 5000 &&
      length(aws_ecs_service.worker.load_balancer) == 0
    )
    error_message = "Only the frontend registers in the ALB target group, on container port 5000."
  }

  # --- security groups: ALB -> frontend:5000 only, worker without ingress, egress HTTPS only
  # (the module's rule resources here; the emulator's view in run "read_back")
  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.frontend_from_alb.security_group_id == aws_security_group.frontend.id &&
      aws_vpc_security_group_ingress_rule.frontend_from_alb.referenced_security_group_id == run.setup.alb_security_group_id &&
      aws_vpc_security_group_ingress_rule.frontend_from_alb.ip_protocol == "tcp" &&
      aws_vpc_security_group_ingress_rule.frontend_from_alb.from_port == 5000 &&
      aws_vpc_security_group_ingress_rule.frontend_from_alb.to_port == 5000
    )
    error_message = "The frontend security group must admit the ALB security group on 5000."
  }

  assert {
    condition = (
      toset([for rule in aws_vpc_security_group_egress_rule.https : rule.security_group_id]) == toset([aws_security_group.frontend.id, aws_security_group.worker.id]) &&
      alltrue([for rule in aws_vpc_security_group_egress_rule.https : rule.ip_protocol == "tcp" && rule.from_port == 443 && rule.to_port == 443])
    )
    error_message = "Both task security groups must have HTTPS egress, and only HTTPS."
  }

  # --- containers
  assert {
    condition = alltrue([
      for td in [aws_ecs_task_definition.frontend, aws_ecs_task_definition.worker] :
      alltrue([for c in jsondecode(td.container_definitions) : c.readonlyRootFilesystem == true])
    ])
    error_message = "Every container must have a read-only root filesystem."
  }

  assert {
    condition = alltrue([
      for td in [aws_ecs_task_definition.frontend, aws_ecs_task_definition.worker] :
      alltrue([for c in jsondecode(td.container_definitions) : can(regex("^[1-9][0-9]*(:[0-9]+)?$", c.user))])
    ])
    error_message = "Every container must run as a non-root numeric user."
  }

  assert {
    condition = alltrue([
      for td in [aws_ecs_task_definition.frontend, aws_ecs_task_definition.worker] :
      alltrue([for c in jsondecode(td.container_definitions) : contains([for m in c.mountPoints : m.containerPath], "/tmp")]) &&
      contains([for v in td.volume : v.name], "tmp")
    ])
    error_message = "A writable ephemeral /tmp volume must be mounted (the root filesystem is read-only)."
  }

  assert {
    condition = (
      strcontains(jsondecode(aws_ecs_task_definition.frontend.container_definitions)[0].healthCheck.command[3], "http://127.0.0.1:5000/") &&
      strcontains(jsondecode(aws_ecs_task_definition.worker.container_definitions)[0].healthCheck.command[3], "http://127.0.0.1:5001/")
    )
    error_message = "Container health checks must probe the frontend on 5000 and the worker on 5001."
  }

  assert {
    condition = alltrue([
      for td in [aws_ecs_task_definition.frontend, aws_ecs_task_definition.worker] :
      alltrue([for c in jsondecode(td.container_definitions) :
        c.logConfiguration.logDriver == "awslogs" &&
        contains([aws_cloudwatch_log_group.frontend.name, aws_cloudwatch_log_group.worker.name], c.logConfiguration.options["awslogs-group"])
      ])
    ])
    error_message = "Containers must log to their service's log group with the awslogs driver."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.frontend.name == "/ecs/ecs-test/frontend-service" &&
      aws_cloudwatch_log_group.worker.name == "/ecs/ecs-test/queue-worker-service" &&
      aws_cloudwatch_log_group.frontend.retention_in_days == 14 &&
      aws_cloudwatch_log_group.worker.retention_in_days == 14
    )
    error_message = "Per-service log groups must be named /ecs/<name>/<service> with the given retention."
  }

  assert {
    condition = (
      { for e in jsondecode(aws_ecs_task_definition.frontend.container_definitions)[0].environment : e.name => e.value } == {
        QUEUE_URL = run.setup.queue_url, TOKEN_PARAMETER = "/app/frontend/token", AWS_REGION = "eu-central-1", PORT = "5000"
      } &&
      { for e in jsondecode(aws_ecs_task_definition.worker.container_definitions)[0].environment : e.name => e.value } == {
        QUEUE_URL = run.setup.queue_url, DATA_BUCKET = run.setup.bucket_name, DATA_PREFIX = "messages/", AWS_REGION = "eu-central-1", PORT = "5001"
      }
    )
    error_message = "The container environments must be exactly the contract's variables (no token)."
  }

  assert {
    condition = alltrue([
      for td in [aws_ecs_task_definition.frontend, aws_ecs_task_definition.worker] :
      alltrue([for c in jsondecode(td.container_definitions) : length(try(c.secrets, [])) == 0])
    ])
    error_message = "The token reaches the frontend only through SSM at runtime: no container secrets."
  }

  # --- the token: a SecureString whose value Terraform never keeps
  assert {
    condition     = aws_ssm_parameter.token.type == "SecureString" && output.token_parameter_name == "/app/frontend/token"
    error_message = "The token parameter must be the SecureString /app/frontend/token."
  }

  assert {
    condition     = aws_ssm_parameter.token.value_wo == null && nonsensitive(aws_ssm_parameter.token.value == null || aws_ssm_parameter.token.value == "")
    error_message = "The token value must not be stored in Terraform state."
  }

  # --- IAM: every permission scoped to the given ARNs
  assert {
    condition = (
      one([for s in jsondecode(aws_iam_role_policy.frontend_task.policy).Statement : s if s.Sid == "ReadToken"]).Action == "ssm:GetParameter" &&
      one([for s in jsondecode(aws_iam_role_policy.frontend_task.policy).Statement : s if s.Sid == "ReadToken"]).Resource == aws_ssm_parameter.token.arn &&
      one([for s in jsondecode(aws_iam_role_policy.frontend_task.policy).Statement : s if s.Sid == "SendToQueue"]).Action == "sqs:SendMessage" &&
      one([for s in jsondecode(aws_iam_role_policy.frontend_task.policy).Statement : s if s.Sid == "SendToQueue"]).Resource == run.setup.queue_arn &&
      length(jsondecode(aws_iam_role_policy.frontend_task.policy).Statement) == 2
    )
    error_message = "The frontend task role may only read the token parameter and send to the queue."
  }

  assert {
    condition = (
      toset(one([for s in jsondecode(aws_iam_role_policy.worker_task.policy).Statement : s if s.Sid == "ConsumeQueue"]).Action) ==
      toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]) &&
      one([for s in jsondecode(aws_iam_role_policy.worker_task.policy).Statement : s if s.Sid == "ConsumeQueue"]).Resource == run.setup.queue_arn &&
      one([for s in jsondecode(aws_iam_role_policy.worker_task.policy).Statement : s if s.Sid == "WriteDataPrefix"]).Action == "s3:PutObject" &&
      one([for s in jsondecode(aws_iam_role_policy.worker_task.policy).Statement : s if s.Sid == "WriteDataPrefix"]).Resource == "${run.setup.bucket_arn}/messages/*" &&
      length(jsondecode(aws_iam_role_policy.worker_task.policy).Statement) == 2
    )
    error_message = "The worker task role may only consume the queue and put objects under the data prefix."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      s.Resource != "*" || s.Action == "ecr:GetAuthorizationToken"
    ])
    error_message = "Only ecr:GetAuthorizationToken may use Resource \"*\" in the execution role."
  }

  assert {
    condition = (
      toset(one([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "PullServiceImages"]).Resource) ==
      toset(["arn:aws:ecr:eu-central-1:123456789012:repository/frontend-service", "arn:aws:ecr:eu-central-1:123456789012:repository/sqs-puller-service"]) &&
      toset(one([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if s.Sid == "WriteServiceLogs"]).Resource) ==
      toset(["${aws_cloudwatch_log_group.frontend.arn}:log-stream:*", "${aws_cloudwatch_log_group.worker.arn}:log-stream:*"]) &&
      !strcontains(aws_iam_role_policy.execution.policy, "ssm:")
    )
    error_message = "The execution role may pull only the two repositories and write only the two log groups (and never read SSM)."
  }

  assert {
    condition     = jsondecode(aws_iam_role.frontend_task.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == data.aws_caller_identity.current.account_id
    error_message = "The task roles must trust ECS tasks of this account only."
  }

  # --- autoscaling
  assert {
    condition = (
      aws_appautoscaling_target.frontend[0].min_capacity >= 1 && aws_appautoscaling_target.worker[0].min_capacity >= 1 &&
      aws_appautoscaling_target.frontend[0].resource_id == "service/ecs-test-cluster/frontend-service" &&
      aws_appautoscaling_target.worker[0].resource_id == "service/ecs-test-cluster/queue-worker-service" &&
      startswith(aws_appautoscaling_target.worker[0].arn, "arn:aws:application-autoscaling:")
    )
    error_message = "Both services must autoscale (registered scalable targets) with a minimum of at least one task."
  }

  assert {
    condition = (
      one(aws_appautoscaling_policy.frontend_requests[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification).resource_label ==
      "${run.setup.alb_arn_suffix}/${run.setup.target_group_arn_suffix}" &&
      one(aws_appautoscaling_policy.frontend_cpu[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification).predefined_metric_type == "ECSServiceAverageCPUUtilization"
    )
    error_message = "The frontend must scale on CPU and on ALB requests per target of its target group."
  }

  assert {
    condition = (
      one([for m in aws_appautoscaling_policy.worker_backlog[0].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics : m if m.return_data]).expression == "visible / tasks" &&
      one([for m in aws_appautoscaling_policy.worker_backlog[0].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics : m if m.id == "visible"]).metric_stat[0].metric[0].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_appautoscaling_policy.worker_backlog[0].target_tracking_scaling_policy_configuration[0].target_value == 100
    )
    error_message = "The worker must scale on visible messages per running task."
  }
}

run "read_back" {
  module {
    source = "./tests/verify"
  }

  variables {
    token_parameter_name = run.apply.token_parameter_name
    security_group_ids = {
      frontend = run.apply.frontend_security_group_id
      worker   = run.apply.worker_security_group_id
    }
  }

  assert {
    condition     = output.token_type == "SecureString" && can(regex("^[A-Za-z0-9]{48}$", nonsensitive(output.token_value)))
    error_message = "The write-only value must reach SSM: a 48-character alphanumeric SecureString."
  }

  assert {
    condition = (
      [for r in output.rules.frontend : [r.ip_protocol, r.from_port, r.to_port, r.referenced_security_group_id] if !r.is_egress] ==
      [["tcp", 5000, 5000, run.setup.alb_security_group_id]]
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
}

run "rotate_token" {
  variables {
    vpc_id                  = run.setup.vpc_id
    private_subnet_ids      = run.setup.private_subnet_ids
    alb_security_group_id   = run.setup.alb_security_group_id
    target_group_arn        = run.setup.target_group_arn
    alb_arn_suffix          = run.setup.alb_arn_suffix
    target_group_arn_suffix = run.setup.target_group_arn_suffix
    queue_url               = run.setup.queue_url
    queue_arn               = run.setup.queue_arn
    queue_name              = run.setup.queue_name
    data_bucket_name        = run.setup.bucket_name
    data_bucket_arn         = run.setup.bucket_arn
    token_version           = 2
  }

  assert {
    condition     = aws_ssm_parameter.token.value_wo_version == 2 && nonsensitive(aws_ssm_parameter.token.value == null || aws_ssm_parameter.token.value == "")
    error_message = "Rotation writes a new version and still keeps no value in state."
  }
}

run "read_back_rotated" {
  module {
    source = "./tests/verify"
  }

  variables {
    token_parameter_name = run.rotate_token.token_parameter_name
    security_group_ids   = {}
  }

  assert {
    condition     = can(regex("^[A-Za-z0-9]{48}$", nonsensitive(output.token_value))) && nonsensitive(output.token_value != run.read_back.token_value)
    error_message = "Bumping token_version must write a new token to SSM."
  }
}

run "kms_and_exec" {
  variables {
    vpc_id                  = run.setup.vpc_id
    private_subnet_ids      = run.setup.private_subnet_ids
    alb_security_group_id   = run.setup.alb_security_group_id
    target_group_arn        = run.setup.target_group_arn
    alb_arn_suffix          = run.setup.alb_arn_suffix
    target_group_arn_suffix = run.setup.target_group_arn_suffix
    queue_url               = run.setup.queue_url
    queue_arn               = run.setup.queue_arn
    queue_name              = run.setup.queue_name
    data_bucket_name        = run.setup.bucket_name
    data_bucket_arn         = run.setup.bucket_arn
    queue_kms_key_arn       = run.setup.kms_key_arn
    data_bucket_kms_key_arn = run.setup.kms_key_arn
    token_kms_key_arn       = run.setup.kms_key_arn
    enable_execute_command  = true
    token_version           = 2
  }

  assert {
    condition = (
      toset(flatten([for s in jsondecode(aws_iam_role_policy.frontend_task.policy).Statement : s.Resource if s.Sid == "EncryptQueueMessages" || s.Sid == "DecryptToken"])) == toset([run.setup.kms_key_arn]) &&
      one([for s in jsondecode(aws_iam_role_policy.frontend_task.policy).Statement : s if s.Sid == "DecryptToken"]).Condition.StringEquals["kms:ViaService"] == "ssm.eu-central-1.amazonaws.com"
    )
    error_message = "With KMS keys, the frontend may use exactly the given key: to decrypt the token (via SSM) and encrypt queue messages."
  }

  assert {
    condition = (
      toset(flatten([for s in jsondecode(aws_iam_role_policy.worker_task.policy).Statement : s.Resource if s.Sid == "DecryptQueueMessages" || s.Sid == "EncryptDataObjects"])) == toset([run.setup.kms_key_arn]) &&
      toset(one([for s in jsondecode(aws_iam_role_policy.worker_task.policy).Statement : s if s.Sid == "EncryptDataObjects"]).Action) == toset(["kms:GenerateDataKey", "kms:Decrypt"])
    )
    error_message = "With KMS keys, the worker may use exactly the given key: to decrypt queue messages and encrypt data objects."
  }

  assert {
    condition = (
      aws_ecs_service.frontend.enable_execute_command && aws_ecs_service.worker.enable_execute_command &&
      alltrue([for doc in [aws_iam_role_policy.frontend_task, aws_iam_role_policy.worker_task] :
        one([for s in jsondecode(doc.policy).Statement : s if s.Sid == "EcsExec"]).Resource == "*" &&
        alltrue([for a in one([for s in jsondecode(doc.policy).Statement : s if s.Sid == "EcsExec"]).Action : startswith(a, "ssmmessages:")])
      ])
    )
    error_message = "ECS Exec, when enabled, adds only the ssmmessages channel actions to the task roles."
  }

  assert {
    condition     = aws_ssm_parameter.token.key_id == run.setup.kms_key_arn && nonsensitive(aws_ssm_parameter.token.value == null || aws_ssm_parameter.token.value == "")
    error_message = "The token parameter must use the given KMS key."
  }
}

run "without_autoscaling" {
  command = plan

  variables {
    vpc_id                  = run.setup.vpc_id
    private_subnet_ids      = run.setup.private_subnet_ids
    alb_security_group_id   = run.setup.alb_security_group_id
    target_group_arn        = run.setup.target_group_arn
    alb_arn_suffix          = run.setup.alb_arn_suffix
    target_group_arn_suffix = run.setup.target_group_arn_suffix
    queue_url               = run.setup.queue_url
    queue_arn               = run.setup.queue_arn
    queue_name              = run.setup.queue_name
    data_bucket_name        = run.setup.bucket_name
    data_bucket_arn         = run.setup.bucket_arn
    token_version           = 2
    enable_autoscaling      = false
    container_insights      = false
  }

  assert {
    condition = (
      length(aws_appautoscaling_target.frontend) + length(aws_appautoscaling_target.worker) == 0 &&
      length(aws_appautoscaling_policy.frontend_cpu) + length(aws_appautoscaling_policy.frontend_requests) + length(aws_appautoscaling_policy.worker_backlog) == 0 &&
      one([for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"]) == "disabled"
    )
    error_message = "enable_autoscaling = false must remove every scaling target and policy (and then allows Container Insights off)."
  }
}

run "rejects_root_user_and_bad_sizes" {
  command = plan

  variables {
    vpc_id                  = run.setup.vpc_id
    private_subnet_ids      = run.setup.private_subnet_ids
    alb_security_group_id   = run.setup.alb_security_group_id
    target_group_arn        = run.setup.target_group_arn
    alb_arn_suffix          = run.setup.alb_arn_suffix
    target_group_arn_suffix = run.setup.target_group_arn_suffix
    queue_url               = run.setup.queue_url
    queue_arn               = run.setup.queue_arn
    queue_name              = run.setup.queue_name
    data_bucket_name        = run.setup.bucket_name
    data_bucket_arn         = run.setup.bucket_arn
    container_user          = "0:0"
    worker_min_count        = 0
    frontend_memory         = 4096
    log_retention_days      = 0
    container_insights      = false
  }

  expect_failures = [var.container_user, var.worker_min_count, var.frontend_memory, var.log_retention_days, var.container_insights]
}
