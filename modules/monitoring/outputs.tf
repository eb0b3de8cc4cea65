output "sns_topic_arn" {
  description = "ARN of the alarm topic (alarm and OK notifications of every alarm)."
  value       = aws_sns_topic.alarms.arn
}

output "sns_topic_name" {
  description = "Name of the alarm topic (\"<name>-alarms\")."
  value       = aws_sns_topic.alarms.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the topic (the module's own key, or kms_key_arn)."
  value       = local.kms_key_arn
}

output "alarm_names" {
  description = "Name of every alarm, by what it watches (tasks_below_desired_<role> per service)."
  value = merge(
    {
      dlq_messages      = aws_cloudwatch_metric_alarm.dlq_messages.alarm_name
      queue_age         = aws_cloudwatch_metric_alarm.queue_age.alarm_name
      alb_5xx           = aws_cloudwatch_metric_alarm.alb_5xx.alarm_name
      unhealthy_targets = aws_cloudwatch_metric_alarm.unhealthy_targets.alarm_name
      response_time_p99 = aws_cloudwatch_metric_alarm.response_time_p99.alarm_name
    },
    { for role, alarm in aws_cloudwatch_metric_alarm.tasks_below_desired : "tasks_below_desired_${role}" => alarm.alarm_name },
  )
}

output "alarm_arns" {
  description = "ARN of every alarm."
  value       = local.alarm_arns
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (the environment's name prefix)."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_url" {
  description = "Console URL of the dashboard."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.this.dashboard_name}"
}
