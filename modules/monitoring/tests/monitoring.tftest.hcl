# Applied to a moto server by scripts/test-modules.sh. Expected names and dimensions are
# literals, not var references: an alarm whose dimension stopped matching the queue, target
# group or service it watches would never fire, and only a literal comparison notices.
variables {
  name                    = "mon-test"
  queue_name              = "mon-test-messages"
  dlq_name                = "mon-test-messages-dlq"
  alb_arn_suffix          = "app/mon-test-alb/0123456789abcdef"
  target_group_arn_suffix = "targetgroup/mon-test-frontend/0000000000000001"
  cluster_name            = "mon-test-cluster"
  services = {
    frontend = "frontend-service"
    worker   = "queue-worker-service"
  }
  alarm_email_addresses = ["oncall@example.com"]
  alarm_https_endpoints = ["https://alerts.example.com/sns"]
  queue_age_alarm       = { threshold = 300, evaluation_periods = 3, datapoints_to_alarm = 2 }
}

run "alarms_topic_and_dashboard" {
  command = apply

  # --- every alarm: metric, namespace, dimensions, threshold, actions -------------------------

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.dlq_messages.namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.dlq_messages.metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.dlq_messages.dimensions == tomap({ QueueName = "mon-test-messages-dlq" }) &&
      aws_cloudwatch_metric_alarm.dlq_messages.statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.dlq_messages.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.dlq_messages.threshold == 0 &&
      aws_cloudwatch_metric_alarm.dlq_messages.period == 60 &&
      aws_cloudwatch_metric_alarm.dlq_messages.evaluation_periods == 1 &&
      aws_cloudwatch_metric_alarm.dlq_messages.treat_missing_data == "notBreaching"
    )
    error_message = "DLQ alarm: any visible message on the DLQ, one minute"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.queue_age.namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.queue_age.metric_name == "ApproximateAgeOfOldestMessage" &&
      aws_cloudwatch_metric_alarm.queue_age.dimensions == tomap({ QueueName = "mon-test-messages" }) &&
      aws_cloudwatch_metric_alarm.queue_age.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.queue_age.threshold == 300 &&
      aws_cloudwatch_metric_alarm.queue_age.evaluation_periods == 3 &&
      aws_cloudwatch_metric_alarm.queue_age.datapoints_to_alarm == 2 &&
      aws_cloudwatch_metric_alarm.queue_age.period == 60
    )
    error_message = "age alarm: oldest message of the main queue, thresholds from the input"
  }

  assert {
    condition = {
      for q in aws_cloudwatch_metric_alarm.alb_5xx.metric_query : q.id => one(q.metric) == null ? null : {
        namespace  = one(q.metric).namespace, metric = one(q.metric).metric_name,
        dimensions = one(q.metric).dimensions, stat = one(q.metric).stat, period = one(q.metric).period
      } if length(q.metric) > 0
      } == {
      requests   = { namespace = "AWS/ApplicationELB", metric = "RequestCount", dimensions = tomap({ LoadBalancer = "app/mon-test-alb/0123456789abcdef" }), stat = "Sum", period = 60 }
      elb_5xx    = { namespace = "AWS/ApplicationELB", metric = "HTTPCode_ELB_5XX_Count", dimensions = tomap({ LoadBalancer = "app/mon-test-alb/0123456789abcdef" }), stat = "Sum", period = 60 }
      target_5xx = { namespace = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count", dimensions = tomap({ LoadBalancer = "app/mon-test-alb/0123456789abcdef" }), stat = "Sum", period = 60 }
    }
    error_message = "5xx alarm: ELB and target 5xx counts and RequestCount of the load balancer"
  }

  assert {
    condition = (
      [for q in aws_cloudwatch_metric_alarm.alb_5xx.metric_query : q.expression if q.return_data] ==
      ["IF(requests > 0, 100 * (FILL(elb_5xx, 0) + FILL(target_5xx, 0)) / requests, 0)"] &&
      aws_cloudwatch_metric_alarm.alb_5xx.threshold == 5 &&
      aws_cloudwatch_metric_alarm.alb_5xx.comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.alb_5xx.evaluation_periods == 5 &&
      aws_cloudwatch_metric_alarm.alb_5xx.datapoints_to_alarm == 3
    )
    error_message = "5xx alarm: percentage of requests, 5 % in 3 of 5 minutes by default"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.unhealthy_targets.namespace == "AWS/ApplicationELB" &&
      aws_cloudwatch_metric_alarm.unhealthy_targets.metric_name == "UnHealthyHostCount" &&
      aws_cloudwatch_metric_alarm.unhealthy_targets.dimensions == tomap({
        LoadBalancer = "app/mon-test-alb/0123456789abcdef"
        TargetGroup  = "targetgroup/mon-test-frontend/0000000000000001"
      }) &&
      aws_cloudwatch_metric_alarm.unhealthy_targets.threshold == 0 &&
      aws_cloudwatch_metric_alarm.unhealthy_targets.evaluation_periods == 3
    )
    error_message = "unhealthy-targets alarm: UnHealthyHostCount of the frontend target group on its load balancer"
  }

  assert {
    condition = {
      for role, alarm in aws_cloudwatch_metric_alarm.tasks_below_desired : role => {
        name       = alarm.alarm_name
        expression = one([for q in alarm.metric_query : q.expression if q.return_data])
        metrics = {
          for q in alarm.metric_query : q.id => {
            namespace = one(q.metric).namespace, metric = one(q.metric).metric_name, dimensions = one(q.metric).dimensions
          } if length(q.metric) > 0
        }
        threshold = alarm.threshold, missing = alarm.treat_missing_data, periods = alarm.evaluation_periods
      }
      } == {
      frontend = {
        name       = "mon-test-frontend-service-tasks-below-desired"
        expression = "desired - running"
        metrics = {
          desired = { namespace = "ECS/ContainerInsights", metric = "DesiredTaskCount", dimensions = tomap({ ClusterName = "mon-test-cluster", ServiceName = "frontend-service" }) }
          running = { namespace = "ECS/ContainerInsights", metric = "RunningTaskCount", dimensions = tomap({ ClusterName = "mon-test-cluster", ServiceName = "frontend-service" }) }
        }
        threshold = 0, missing = "breaching", periods = 10
      }
      worker = {
        name       = "mon-test-queue-worker-service-tasks-below-desired"
        expression = "desired - running"
        metrics = {
          desired = { namespace = "ECS/ContainerInsights", metric = "DesiredTaskCount", dimensions = tomap({ ClusterName = "mon-test-cluster", ServiceName = "queue-worker-service" }) }
          running = { namespace = "ECS/ContainerInsights", metric = "RunningTaskCount", dimensions = tomap({ ClusterName = "mon-test-cluster", ServiceName = "queue-worker-service" }) }
        }
        threshold = 0, missing = "breaching", periods = 10
      }
    }
    error_message = "one tasks-below-desired alarm per service: Container Insights desired - running on that service"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.response_time_p99.namespace == "AWS/ApplicationELB" &&
      aws_cloudwatch_metric_alarm.response_time_p99.metric_name == "TargetResponseTime" &&
      aws_cloudwatch_metric_alarm.response_time_p99.extended_statistic == "p99" &&
      aws_cloudwatch_metric_alarm.response_time_p99.dimensions == tomap({
        LoadBalancer = "app/mon-test-alb/0123456789abcdef"
        TargetGroup  = "targetgroup/mon-test-frontend/0000000000000001"
      }) &&
      aws_cloudwatch_metric_alarm.response_time_p99.threshold == 1
    )
    error_message = "latency alarm: p99 TargetResponseTime of the frontend target group above 1 s"
  }

  assert {
    condition = alltrue([
      for alarm in concat(
        [
          aws_cloudwatch_metric_alarm.dlq_messages, aws_cloudwatch_metric_alarm.queue_age,
          aws_cloudwatch_metric_alarm.alb_5xx, aws_cloudwatch_metric_alarm.unhealthy_targets,
          aws_cloudwatch_metric_alarm.response_time_p99,
        ],
        values(aws_cloudwatch_metric_alarm.tasks_below_desired),
      ) :
      alarm.alarm_actions == toset([aws_sns_topic.alarms.arn]) &&
      alarm.ok_actions == toset([aws_sns_topic.alarms.arn]) &&
      alarm.actions_enabled
    ])
    error_message = "every alarm notifies the topic when it fires and when it clears"
  }

  assert {
    condition     = length(output.alarm_arns) == 7 && length(output.alarm_names) == 7
    error_message = "seven alarms: DLQ, age, 5xx, unhealthy targets, p99, and tasks per service (2)"
  }

  # --- topic, key, policies, subscriptions --------------------------------------------------

  assert {
    condition = (
      aws_sns_topic.alarms.name == "mon-test-alarms" &&
      aws_sns_topic.alarms.kms_master_key_id == "alias/mon-test-alarms" &&
      aws_kms_alias.alarms[0].target_key_arn == aws_kms_key.alarms[0].arn &&
      aws_kms_key.alarms[0].enable_key_rotation &&
      output.kms_key_arn == aws_kms_key.alarms[0].arn
    )
    error_message = "the topic is encrypted with the module's customer-managed key, rotation on"
  }

  assert {
    condition = (
      one([for s in jsondecode(aws_kms_key.alarms[0].policy).Statement : s if s.Sid == "CloudWatchAlarmsOfThisAccount"]).Principal == { Service = "cloudwatch.amazonaws.com" } &&
      one([for s in jsondecode(aws_kms_key.alarms[0].policy).Statement : s if s.Sid == "CloudWatchAlarmsOfThisAccount"]).Condition.StringEquals["aws:SourceAccount"] == data.aws_caller_identity.current.account_id &&
      one([for s in jsondecode(aws_kms_key.alarms[0].policy).Statement : s if s.Sid == "ThisAccountThroughSnsOnly"]).Condition.StringEquals["kms:ViaService"] == "sns.eu-central-1.amazonaws.com" &&
      alltrue([for s in jsondecode(aws_kms_key.alarms[0].policy).Statement : !contains(flatten([s.Action]), "kms:*") && s.Principal != "*"])
    )
    error_message = "key policy: CloudWatch of this account, this account through SNS only, no kms:* and no anonymous principal"
  }

  assert {
    condition = (
      [for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement : s.Principal if s.Effect == "Allow"] == [{ Service = "cloudwatch.amazonaws.com" }] &&
      one([for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement : s if s.Effect == "Allow"]).Action == "sns:Publish" &&
      one([for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement : s if s.Effect == "Allow"]).Resource == aws_sns_topic.alarms.arn &&
      one([for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement : s if s.Effect == "Allow"]).Condition.StringEquals["aws:SourceAccount"] == data.aws_caller_identity.current.account_id &&
      one([for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement : s if s.Effect == "Allow"]).Condition.ArnLike["aws:SourceArn"] == "arn:aws:cloudwatch:eu-central-1:${data.aws_caller_identity.current.account_id}:alarm:*"
    )
    error_message = "topic policy: only CloudWatch alarms of this account may publish"
  }

  assert {
    condition = (
      { for s in aws_sns_topic_subscription.email : s.endpoint => s.protocol } == { "oncall@example.com" = "email" } &&
      { for s in aws_sns_topic_subscription.https : s.endpoint => s.protocol } == { "https://alerts.example.com/sns" = "https" } &&
      alltrue([for s in concat(values(aws_sns_topic_subscription.email), values(aws_sns_topic_subscription.https)) : s.topic_arn == aws_sns_topic.alarms.arn])
    )
    error_message = "subscriptions from the inputs, on the alarm topic"
  }

  # --- dashboard ----------------------------------------------------------------------------

  assert {
    condition = (
      aws_cloudwatch_dashboard.this.dashboard_name == "mon-test" &&
      toset(one([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.alarms if w.type == "alarm"])) == toset(output.alarm_arns)
    )
    error_message = "the dashboard shows every alarm"
  }

  assert {
    condition = toset(flatten([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [
        for m in w.properties.metrics : join(" ", [for v in m : v if can(tostring(v))])
      ] if w.type == "metric"
      ])) == toset([
      "AWS/ApplicationELB RequestCount LoadBalancer app/mon-test-alb/0123456789abcdef",
      "AWS/ApplicationELB HTTPCode_ELB_4XX_Count LoadBalancer app/mon-test-alb/0123456789abcdef",
      "AWS/ApplicationELB HTTPCode_Target_4XX_Count LoadBalancer app/mon-test-alb/0123456789abcdef",
      "AWS/ApplicationELB HTTPCode_ELB_5XX_Count LoadBalancer app/mon-test-alb/0123456789abcdef",
      "AWS/ApplicationELB HTTPCode_Target_5XX_Count LoadBalancer app/mon-test-alb/0123456789abcdef",
      "AWS/ApplicationELB TargetResponseTime LoadBalancer app/mon-test-alb/0123456789abcdef TargetGroup targetgroup/mon-test-frontend/0000000000000001",
      "AWS/ApplicationELB HealthyHostCount LoadBalancer app/mon-test-alb/0123456789abcdef TargetGroup targetgroup/mon-test-frontend/0000000000000001",
      "AWS/ApplicationELB UnHealthyHostCount LoadBalancer app/mon-test-alb/0123456789abcdef TargetGroup targetgroup/mon-test-frontend/0000000000000001",
      "AWS/SQS ApproximateNumberOfMessagesVisible QueueName mon-test-messages",
      "AWS/SQS ApproximateNumberOfMessagesNotVisible QueueName mon-test-messages",
      "AWS/SQS ApproximateAgeOfOldestMessage QueueName mon-test-messages",
      "AWS/SQS ApproximateNumberOfMessagesVisible QueueName mon-test-messages-dlq",
      "AWS/SQS NumberOfMessagesDeleted QueueName mon-test-messages",
      "AWS/SQS NumberOfMessagesSent QueueName mon-test-messages",
      "ECS/ContainerInsights RunningTaskCount ClusterName mon-test-cluster ServiceName frontend-service",
      "ECS/ContainerInsights DesiredTaskCount ClusterName mon-test-cluster ServiceName frontend-service",
      "ECS/ContainerInsights RunningTaskCount ClusterName mon-test-cluster ServiceName queue-worker-service",
      "ECS/ContainerInsights DesiredTaskCount ClusterName mon-test-cluster ServiceName queue-worker-service",
      "AWS/ECS CPUUtilization ClusterName mon-test-cluster ServiceName frontend-service",
      "AWS/ECS CPUUtilization ClusterName mon-test-cluster ServiceName queue-worker-service",
      "AWS/ECS MemoryUtilization ClusterName mon-test-cluster ServiceName frontend-service",
      "AWS/ECS MemoryUtilization ClusterName mon-test-cluster ServiceName queue-worker-service",
    ])
    error_message = "dashboard: request rate, 4xx/5xx, latency, targets, queue depth and age, DLQ, throughput, tasks, CPU and memory, each on the right dimensions"
  }
}

# Plan only: a given key replaces the module's own.
run "given_kms_key" {
  command = plan

  variables {
    kms_key_arn           = "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000"
    alarm_email_addresses = []
    alarm_https_endpoints = []
  }

  assert {
    condition     = length(aws_kms_key.alarms) == 0 && aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn
    error_message = "with kms_key_arn the module creates no key and encrypts with the given one"
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0 && length(aws_sns_topic_subscription.https) == 0
    error_message = "no subscription without addresses or endpoints"
  }
}
