# Everything that differs between environments, as module inputs per component; the units
# and live/_common/<component>.hcl are the same for every environment.
# staging: prod's shape at low cost, one NAT gateway, short retention.
locals {
  environment = "staging"

  vpc = {
    cidr_block                 = "10.20.0.0/16"
    az_count                   = 2
    single_nat_gateway         = true
    flow_log_retention_days    = 90
    enable_s3_gateway_endpoint = true
    interface_endpoints        = []
  }

  alb = {
    certificate_arn            = null
    deletion_protection        = false
    access_logs_retention_days = 90
    force_destroy_access_logs  = true
  }

  sqs = {
    max_receive_count             = 5
    visibility_timeout_seconds    = 60
    message_retention_seconds     = 345600 # 4 days
    dlq_message_retention_seconds = 1209600
    receive_wait_time_seconds     = 20
  }

  s3 = {
    force_destroy                          = false
    noncurrent_version_expiration_days     = 30
    abort_incomplete_multipart_upload_days = 7
  }

  ecr = {
    max_image_count = 30
    force_delete    = false
  }

  ecs = {
    frontend_cpu                   = 256
    frontend_memory                = 512
    worker_cpu                     = 256
    worker_memory                  = 512
    frontend_desired_count         = 1
    frontend_min_count             = 1
    frontend_max_count             = 4
    worker_min_count               = 1
    worker_max_count               = 4
    worker_backlog_per_task_target = 100
    log_retention_days             = 90
    container_insights             = true
  }

  github_oidc = {
    deploy_from_main_branch = false
    # Plans only from jobs of the reviewed GitHub environment plan-<env>, never pull_request.
    trust_pull_requests = false
  }
}
