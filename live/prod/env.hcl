# Everything that differs between environments, as module inputs per component; the units
# and live/_common/<component>.hcl are the same for every environment.
# prod: three AZs, a NAT gateway per AZ, interface endpoints, two tasks per service minimum,
# deletion protection, a year of logs.
locals {
  environment = "prod"

  vpc = {
    cidr_block                 = "10.30.0.0/16"
    az_count                   = 3
    single_nat_gateway         = false
    flow_log_retention_days    = 365
    enable_s3_gateway_endpoint = true
    interface_endpoints        = ["sqs", "ssm", "ecr.api", "ecr.dkr", "logs"]
  }

  alb = {
    certificate_arn            = null
    deletion_protection        = true
    access_logs_retention_days = 365
    force_destroy_access_logs  = false
  }

  sqs = {
    max_receive_count             = 5
    visibility_timeout_seconds    = 60
    message_retention_seconds     = 1209600 # 14 days
    dlq_message_retention_seconds = 1209600
    receive_wait_time_seconds     = 20
  }

  s3 = {
    force_destroy                          = false
    noncurrent_version_expiration_days     = 90
    abort_incomplete_multipart_upload_days = 7
  }

  ecr = {
    max_image_count = 50
    force_delete    = false
  }

  ecs = {
    frontend_cpu                   = 512
    frontend_memory                = 1024
    worker_cpu                     = 256
    worker_memory                  = 512
    frontend_desired_count         = 2
    frontend_min_count             = 2
    frontend_max_count             = 10
    worker_min_count               = 2
    worker_max_count               = 10
    worker_backlog_per_task_target = 100
    log_retention_days             = 365
    container_insights             = true
  }

  github_oidc = {
    deploy_from_main_branch = false
    # Plans only from jobs of the reviewed GitHub environment plan-<env>, never pull_request.
    trust_pull_requests = false
  }
}
