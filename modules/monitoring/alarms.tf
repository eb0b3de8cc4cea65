# One alarm per failure an operator must hear about. Every alarm notifies the topic when it
# fires (alarm_actions) and when it clears (ok_actions). Thresholds and periods are inputs
# (env.hcl `monitoring`); the metrics, namespaces and dimensions are fixed here, and the module
# tests assert them, so a renamed queue or service cannot silently detach an alarm.
#
# treat_missing_data, per alarm, says what no data point means for that metric:
#   notBreaching  the metric is only published while there is something to report (SQS
#                 metrics of an idle queue, ALB error counts and latencies without traffic):
#                 silence is the healthy case;
#   breaching     the metric is published every minute while the thing exists (Container
#                 Insights task counts): silence means the service, or Container Insights,
#                 is gone, and an alarm that cannot see must say so.

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]

  alb_dimensions = { LoadBalancer = var.alb_arn_suffix }
  target_group_dimensions = {
    LoadBalancer = var.alb_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }
}

resource "aws_cloudwatch_metric_alarm" "dlq_messages" {
  alarm_name        = "${var.name}-dlq-messages"
  alarm_description = "Messages are dead-lettering: the worker failed to store them repeatedly and SQS moved them to ${var.dlq_name}. Runbook: README.md, Monitoring and runbook."

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions  = { QueueName = var.dlq_name }
  statistic   = "Maximum"

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarm_settings.dlq_messages.threshold
  period              = local.alarm_settings.dlq_messages.period_seconds
  evaluation_periods  = local.alarm_settings.dlq_messages.evaluation_periods
  datapoints_to_alarm = local.alarm_settings.dlq_messages.datapoints_to_alarm
  # SQS stops publishing for a queue that has been empty and untouched for six hours (a
  # queue holding messages stays "active" and keeps reporting): no data = empty DLQ.
  treat_missing_data = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
  tags          = var.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_age" {
  alarm_name        = "${var.name}-queue-oldest-message-age"
  alarm_description = "The oldest message in ${var.queue_name} is older than ${local.alarm_settings.queue_age.threshold} s: the worker is not keeping up or not consuming. Runbook: README.md, Monitoring and runbook."

  namespace   = "AWS/SQS"
  metric_name = "ApproximateAgeOfOldestMessage"
  dimensions  = { QueueName = var.queue_name }
  statistic   = "Maximum"

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarm_settings.queue_age.threshold
  period              = local.alarm_settings.queue_age.period_seconds
  evaluation_periods  = local.alarm_settings.queue_age.evaluation_periods
  datapoints_to_alarm = local.alarm_settings.queue_age.datapoints_to_alarm
  # An idle, empty queue stops reporting after six hours; a queue with a backlog keeps
  # reporting, so silence never hides an old message.
  treat_missing_data = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
  tags          = var.tags
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name        = "${var.name}-alb-5xx-rate"
  alarm_description = "More than ${local.alarm_settings.alb_5xx.threshold} % of requests to the load balancer end in a 5xx (its own or the frontend's). Runbook: README.md, Monitoring and runbook."

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarm_settings.alb_5xx.threshold
  evaluation_periods  = local.alarm_settings.alb_5xx.evaluation_periods
  datapoints_to_alarm = local.alarm_settings.alb_5xx.datapoints_to_alarm
  # The ALB publishes 5xx counts only when there are some, and RequestCount only with
  # traffic; FILL() covers the first, and no traffic at all is no error rate.
  treat_missing_data = "notBreaching"

  metric_query {
    id          = "error_rate"
    label       = "5xx per request (%)"
    expression  = "IF(requests > 0, 100 * (FILL(elb_5xx, 0) + FILL(target_5xx, 0)) / requests, 0)"
    return_data = true
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.alb_dimensions
      stat        = "Sum"
      period      = local.alarm_settings.alb_5xx.period_seconds
    }
  }

  metric_query {
    id = "elb_5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.alb_dimensions
      stat        = "Sum"
      period      = local.alarm_settings.alb_5xx.period_seconds
    }
  }

  metric_query {
    id = "target_5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.alb_dimensions
      stat        = "Sum"
      period      = local.alarm_settings.alb_5xx.period_seconds
    }
  }

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
  tags          = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  alarm_name        = "${var.name}-frontend-unhealthy-targets"
  alarm_description = "Frontend tasks fail the load balancer's health check (GET / on :5000). Runbook: README.md, Monitoring and runbook."

  namespace   = "AWS/ApplicationELB"
  metric_name = "UnHealthyHostCount"
  dimensions  = local.target_group_dimensions
  statistic   = "Maximum"

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarm_settings.unhealthy_targets.threshold
  period              = local.alarm_settings.unhealthy_targets.period_seconds
  evaluation_periods  = local.alarm_settings.unhealthy_targets.evaluation_periods
  datapoints_to_alarm = local.alarm_settings.unhealthy_targets.datapoints_to_alarm
  # No data means no target registered at all, which is not an unhealthy target: the
  # tasks-below-desired alarm is the one that reports a frontend without tasks.
  treat_missing_data = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
  tags          = var.tags
}

resource "aws_cloudwatch_metric_alarm" "tasks_below_desired" {
  for_each = var.services

  alarm_name        = "${var.name}-${each.value}-tasks-below-desired"
  alarm_description = "${each.value} in ${var.cluster_name} runs fewer tasks than desired: tasks fail to start or keep stopping. Runbook: README.md, Monitoring and runbook."

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarm_settings.tasks_below_desired.threshold
  evaluation_periods  = local.alarm_settings.tasks_below_desired.evaluation_periods
  datapoints_to_alarm = local.alarm_settings.tasks_below_desired.datapoints_to_alarm
  # Container Insights publishes both counts every minute for every service of the cluster:
  # silence means the service (or Container Insights) is gone, and the alarm is blind.
  treat_missing_data = "breaching"

  metric_query {
    id          = "missing_tasks"
    label       = "desired - running tasks"
    expression  = "desired - running"
    return_data = true
  }

  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = { ClusterName = var.cluster_name, ServiceName = each.value }
      stat        = "Average"
      period      = local.alarm_settings.tasks_below_desired.period_seconds
    }
  }

  metric_query {
    id = "running"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = { ClusterName = var.cluster_name, ServiceName = each.value }
      stat        = "Average"
      period      = local.alarm_settings.tasks_below_desired.period_seconds
    }
  }

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
  tags          = var.tags
}

resource "aws_cloudwatch_metric_alarm" "response_time_p99" {
  alarm_name        = "${var.name}-frontend-response-time-p99"
  alarm_description = "The frontend's p99 response time behind the load balancer is above ${local.alarm_settings.response_time_p99.threshold} s. Runbook: README.md, Monitoring and runbook."

  namespace          = "AWS/ApplicationELB"
  metric_name        = "TargetResponseTime"
  dimensions         = local.target_group_dimensions
  extended_statistic = "p99"

  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarm_settings.response_time_p99.threshold
  period              = local.alarm_settings.response_time_p99.period_seconds
  evaluation_periods  = local.alarm_settings.response_time_p99.evaluation_periods
  datapoints_to_alarm = local.alarm_settings.response_time_p99.datapoints_to_alarm
  # No requests, no latency: silence is healthy. Too few requests to trust a p99 are not
  # judged either (evaluate_low_sample_count_percentiles).
  treat_missing_data                    = "notBreaching"
  evaluate_low_sample_count_percentiles = "ignore"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions
  tags          = var.tags
}
