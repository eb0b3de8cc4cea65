# One apply of the whole environment, then assertions on how the modules are wired.
run "environment" {
  command = apply

  assert {
    condition     = output.cluster_name == "devops-ci-cluster" && module.ecs.services.frontend.service_name == "frontend-service" && module.ecs.services.worker.service_name == "queue-worker-service"
    error_message = "the cluster and services keep the names of the original design"
  }

  assert {
    condition     = module.ecs.services.frontend.log_group_name == "/ecs/devops-ci/frontend-service" && module.ecs.services.worker.log_group_name == "/ecs/devops-ci/queue-worker-service"
    error_message = "per-service log groups"
  }

  assert {
    condition     = module.ecs.token_parameter_name == "/app/frontend/token"
    error_message = "the token parameter of the original design"
  }

  assert {
    condition     = length(module.vpc.private_subnet_ids) == 2 && length(module.vpc.nat_gateway_ids) == 1
    error_message = "two zones behind one shared NAT gateway"
  }

  assert {
    condition     = startswith(module.ecr.repository_urls["frontend-service"], data.aws_caller_identity.current.account_id)
    error_message = "the images come from this account's ECR"
  }

  assert {
    condition     = module.alb.https_listener_arn == null && output.alb_dns_name != ""
    error_message = "an HTTP-only ALB without a certificate"
  }

  assert {
    condition     = module.queue.dlq_name == "devops-ci-ingest-dlq" && module.data_bucket.bucket_name == "devops-ci-data-${data.aws_caller_identity.current.account_id}"
    error_message = "queue and bucket names"
  }

  # The real ARN suffixes and names of the load balancer, target group, queues and services
  # pass the monitoring module's validation and become its alarms' dimensions.
  assert {
    condition = (
      module.monitoring.alarm_names.dlq_messages == "devops-ci-dlq-messages" &&
      module.monitoring.alarm_names.tasks_below_desired_worker == "devops-ci-queue-worker-service-tasks-below-desired" &&
      length(module.monitoring.alarm_arns) == 7 && module.monitoring.dashboard_name == "devops-ci"
    )
    error_message = "the monitoring module watches the composed environment: seven alarms and its dashboard"
  }
}
