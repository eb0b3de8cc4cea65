# Everything that differs between environments, as module inputs per component; the units
# and live/_common/<component>.hcl are the same for every environment.
# prod: three AZs, a NAT gateway per AZ, interface endpoints, two tasks per service minimum,
# deletion protection, a year of logs.
locals {
  environment = "prod"

  # Customer-managed keys (live/_common/kms.hcl): days a destroyed key waits before deletion.
  kms = {
    deletion_window_days = 30
  }

  vpc = {
    cidr_block                 = "10.30.0.0/16"
    az_count                   = 3
    single_nat_gateway         = false
    flow_log_retention_days    = 365
    enable_s3_gateway_endpoint = true
    interface_endpoints        = ["sqs", "ssm", "ecr.api", "ecr.dkr", "logs"]
  }

  alb = {
    # HTTPS is required here (policy CKV2_ORG_3): an ACM certificate for domain_name, validated
    # through a record in the public hosted zone route53_zone_id of this account. Placeholders:
    # put the environment's domain and zone here before the first apply.
    certificate                = { domain_name = "ingest.example.com", route53_zone_id = "Z00000000000000PROD" }
    deletion_protection        = true
    access_logs_retention_days = 365
    force_destroy_access_logs  = false
    # A WAF web ACL: requests one client IP may send in 5 minutes before it is blocked, then
    # AWS's IP reputation, known bad inputs and common rule groups.
    waf = { rate_limit_per_5_minutes = 2000 }
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
    log_retention_days = 365
    container_insights = true
    services = {
      frontend = { cpu = 512, memory = 1024, desired_count = 2, min_count = 2, max_count = 10 }
      worker   = { cpu = 256, memory = 512, min_count = 2, max_count = 10 }
    }
  }

  # Alarms notify the topic devops-prod-alarms (README, "Monitoring and runbook").
  # Thresholds: <alarm>_alarm = { threshold, period_seconds, evaluation_periods, datapoints_to_alarm }.
  # prod: the tightest thresholds; the key waits 30 days before deletion.
  monitoring = {
    alarm_email_addresses     = ["devops-oncall@example.com"] # placeholder: the on-call list
    alarm_https_endpoints     = []                            # a paging relay URL without a secret in it
    kms_deletion_window_days  = 30
    dlq_messages_alarm        = { threshold = 0, period_seconds = 60, evaluation_periods = 1, datapoints_to_alarm = 1 }
    queue_age_alarm           = { threshold = 300, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 5 }
    alb_5xx_alarm             = { threshold = 2, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 3 }
    unhealthy_targets_alarm   = { threshold = 0, period_seconds = 60, evaluation_periods = 3, datapoints_to_alarm = 3 }
    tasks_below_desired_alarm = { threshold = 0, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 5 }
    response_time_p99_alarm   = { threshold = 1, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 3 }
  }

  github_oidc = {
    deploy_from_main_branch = false
    # Plans only from jobs of the reviewed GitHub environment plan-<env>, never pull_request.
    trust_pull_requests = false
  }
}
