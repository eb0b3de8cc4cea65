# One dashboard per environment, top to bottom the path of a request: load balancer, queue,
# worker, tasks. Worker throughput is SQS NumberOfMessagesDeleted on the main queue: the
# worker deletes a message only after its object is stored (services/worker), so deletions
# per minute are objects written per minute, with no custom metric to publish.

locals {
  graph_period       = 60
  sqs_namespace      = "AWS/SQS"
  alb_namespace      = "AWS/ApplicationELB"
  insights_namespace = "ECS/ContainerInsights"

  alb_metric = ["LoadBalancer", var.alb_arn_suffix]
  tg_metric  = ["LoadBalancer", var.alb_arn_suffix, "TargetGroup", var.target_group_arn_suffix]

  # metric widget properties shared by every graph
  graph = { view = "timeSeries", region = local.region, period = local.graph_period, stacked = false }

  metric_widgets = [
    {
      title = "Requests per minute (ALB)"
      metrics = [
        concat([local.alb_namespace, "RequestCount"], local.alb_metric, [{ stat = "Sum", label = "requests" }]),
      ]
    },
    {
      title = "4xx / 5xx per minute (ALB and frontend)"
      metrics = [
        for name in ["HTTPCode_ELB_4XX_Count", "HTTPCode_Target_4XX_Count", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"] :
        concat([local.alb_namespace, name], local.alb_metric, [{ stat = "Sum", label = name }])
      ]
    },
    {
      title = "Frontend response time (s), p50 and p99"
      metrics = [
        for p in ["p50", "p99"] :
        concat([local.alb_namespace, "TargetResponseTime"], local.tg_metric, [{ stat = p, label = p }])
      ]
    },
    {
      title = "Frontend targets, healthy and unhealthy"
      metrics = [
        for name in ["HealthyHostCount", "UnHealthyHostCount"] :
        concat([local.alb_namespace, name], local.tg_metric, [{ stat = "Maximum", label = name }])
      ]
    },
    {
      title = "Queue depth and age of the oldest message (${var.queue_name})"
      metrics = [
        [local.sqs_namespace, "ApproximateNumberOfMessagesVisible", "QueueName", var.queue_name, { stat = "Maximum", label = "visible" }],
        [local.sqs_namespace, "ApproximateNumberOfMessagesNotVisible", "QueueName", var.queue_name, { stat = "Maximum", label = "in flight" }],
        [local.sqs_namespace, "ApproximateAgeOfOldestMessage", "QueueName", var.queue_name, { stat = "Maximum", label = "oldest (s)", yAxis = "right" }],
      ]
    },
    {
      title = "Dead-letter queue depth (${var.dlq_name})"
      metrics = [
        [local.sqs_namespace, "ApproximateNumberOfMessagesVisible", "QueueName", var.dlq_name, { stat = "Maximum", label = "messages in the DLQ" }],
      ]
    },
    {
      title = "Worker throughput: objects written per minute"
      metrics = [
        [local.sqs_namespace, "NumberOfMessagesDeleted", "QueueName", var.queue_name, { stat = "Sum", label = "objects written (messages deleted)" }],
        [local.sqs_namespace, "NumberOfMessagesSent", "QueueName", var.queue_name, { stat = "Sum", label = "messages accepted (sent)" }],
      ]
    },
    {
      title = "Tasks running / desired"
      # not flatten(): it would also flatten each metric line into its strings
      metrics = [
        for pair in setproduct(values(var.services), ["RunningTaskCount", "DesiredTaskCount"]) :
        [local.insights_namespace, pair[1], "ClusterName", var.cluster_name, "ServiceName", pair[0], { stat = "Average", label = "${pair[0]} ${pair[1]}" }]
      ]
    },
    {
      title = "CPU utilisation per service (%)"
      metrics = [
        for service in values(var.services) :
        ["AWS/ECS", "CPUUtilization", "ClusterName", var.cluster_name, "ServiceName", service, { stat = "Average", label = service }]
      ]
    },
    {
      title = "Memory utilisation per service (%)"
      metrics = [
        for service in values(var.services) :
        ["AWS/ECS", "MemoryUtilization", "ClusterName", var.cluster_name, "ServiceName", service, { stat = "Average", label = service }]
      ]
    },
  ]

  alarm_arns = concat(
    [
      aws_cloudwatch_metric_alarm.dlq_messages.arn,
      aws_cloudwatch_metric_alarm.queue_age.arn,
      aws_cloudwatch_metric_alarm.alb_5xx.arn,
      aws_cloudwatch_metric_alarm.unhealthy_targets.arn,
      aws_cloudwatch_metric_alarm.response_time_p99.arn,
    ],
    [for alarm in aws_cloudwatch_metric_alarm.tasks_below_desired : alarm.arn],
  )

  dashboard_body = {
    widgets = concat(
      [{
        type       = "alarm", x = 0, y = 0, width = 24, height = 3
        properties = { title = "Alarms", alarms = local.alarm_arns, sortBy = "stateUpdatedTimestamp" }
      }],
      # two graphs per row, 12 columns x 6 rows each, below the alarm strip
      [for i, widget in local.metric_widgets : {
        type       = "metric", x = (i % 2) * 12, y = 3 + floor(i / 2) * 6, width = 12, height = 6
        properties = merge(local.graph, widget)
      }],
    )
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode(local.dashboard_body)
}
