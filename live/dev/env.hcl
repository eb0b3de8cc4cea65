# Everything that differs between environments, as module inputs per component; the units
# and live/_common/<component>.hcl are the same for every environment.
# dev: smallest footprint, one NAT gateway, everything disposable.
locals {
  environment = "dev"

  # Customer-managed keys (live/_common/kms.hcl): days a destroyed key waits before deletion.
  kms = {
    deletion_window_days = 7
  }

  vpc = {
    cidr_block                 = "10.10.0.0/16"
    az_count                   = 2
    single_nat_gateway         = true
    flow_log_retention_days    = 30
    enable_s3_gateway_endpoint = true
    interface_endpoints        = []
  }

  alb = {
    certificate                = null # plain HTTP (no domain); HTTPS is required from staging on
    deletion_protection        = false
    access_logs_retention_days = 30
    force_destroy_access_logs  = true
    waf                        = null # no web ACL (no production traffic); staging and prod have one
  }

  sqs = {
    max_receive_count             = 5
    visibility_timeout_seconds    = 60
    message_retention_seconds     = 345600 # 4 days
    dlq_message_retention_seconds = 1209600
    receive_wait_time_seconds     = 20
  }

  s3 = {
    force_destroy                          = true
    noncurrent_version_expiration_days     = 30
    abort_incomplete_multipart_upload_days = 7
  }

  ecr = {
    max_image_count = 20
    force_delete    = true
  }

  ecs = {
    log_retention_days = 30
    container_insights = true
    services = {
      frontend = { cpu = 256, memory = 512, desired_count = 1, min_count = 1, max_count = 2 }
      worker   = { cpu = 256, memory = 512, min_count = 1, max_count = 2 }
    }
  }

  # Alarms notify the topic devops-dev-alarms (README, "Monitoring and runbook"). Thresholds:
  # <alarm>_alarm = { threshold, period_seconds, evaluation_periods, datapoints_to_alarm }.
  # dev: looser thresholds, the same alarms.
  monitoring = {
    alarm_email_addresses     = ["devops-alerts-dev@example.com"] # placeholder: the team's alert list
    alarm_https_endpoints     = []                                # a relay URL without a secret in it
    kms_deletion_window_days  = 7
    dlq_messages_alarm        = { threshold = 0, period_seconds = 60, evaluation_periods = 1, datapoints_to_alarm = 1 }
    queue_age_alarm           = { threshold = 1800, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 5 }
    alb_5xx_alarm             = { threshold = 10, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 3 }
    unhealthy_targets_alarm   = { threshold = 0, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 5 }
    tasks_below_desired_alarm = { threshold = 0, period_seconds = 60, evaluation_periods = 10, datapoints_to_alarm = 10 }
    response_time_p99_alarm   = { threshold = 2, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 3 }
  }

  github_oidc = {
    deploy_from_main_branch = false
    # dev holds no data worth protecting: pull_request jobs may plan it without a review.
    trust_pull_requests = true
  }
}
