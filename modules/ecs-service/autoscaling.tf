# Target tracking on the signals the caller chooses: CPU, ALB requests per target, and/or SQS
# backlog per task. With several policies Application Auto Scaling runs the largest of their
# desired counts, so any one signal scales out. Backlog per task is a metric-math expression
# (ApproximateNumberOfMessagesVisible / RunningTaskCount): target tracking keeps that ratio at
# the target in both directions with AWS-managed alarms, where step scaling would need our own
# alarms and step tables to approximate the same proportional behaviour.
# One policy per signal given; the signal (the for_each key) decides the metric blocks, so
# for_each and the dynamic blocks stay known while a label or queue name is not yet.
locals {
  # Scale-in waits longer than scale-out: a burst should not be answered by flapping.
  scale_in_cooldown  = 300
  scale_out_cooldown = 60

  scaling_policies = var.autoscaling == null ? {} : {
    for signal, policy in {
      cpu = var.autoscaling.cpu_target == null ? null : {
        name = "cpu", target = var.autoscaling.cpu_target, metric = "ECSServiceAverageCPUUtilization", resource_label = null
      }
      requests = var.autoscaling.requests_per_target == null ? null : {
        name = "requests", target = var.autoscaling.requests_per_target.target, metric = "ALBRequestCountPerTarget", resource_label = var.autoscaling.requests_per_target.resource_label
      }
      backlog = var.autoscaling.backlog_per_task == null ? null : {
        name = "backlog-per-task", target = var.autoscaling.backlog_per_task.target, metric = null, resource_label = null
      }
    } : signal => policy if policy != null
  }
}

resource "aws_appautoscaling_target" "this" {
  count = var.autoscaling == null ? 0 : 1

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = var.autoscaling.min_count
  max_capacity       = var.autoscaling.max_count
}

resource "aws_appautoscaling_policy" "this" {
  for_each = local.scaling_policies

  name               = "${var.name}-${var.service_name}-${each.value.name}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.target
    scale_in_cooldown  = local.scale_in_cooldown
    scale_out_cooldown = local.scale_out_cooldown

    dynamic "predefined_metric_specification" {
      for_each = each.key == "backlog" ? [] : [each.value]

      content {
        predefined_metric_type = predefined_metric_specification.value.metric
        resource_label         = predefined_metric_specification.value.resource_label
      }
    }

    dynamic "customized_metric_specification" {
      for_each = each.key == "backlog" ? [var.autoscaling.backlog_per_task.queue_name] : []

      content {
        metrics {
          id          = "visible"
          label       = "Messages visible in ${customized_metric_specification.value}"
          return_data = false

          metric_stat {
            stat = "Sum"

            metric {
              namespace   = "AWS/SQS"
              metric_name = "ApproximateNumberOfMessagesVisible"

              dimensions {
                name  = "QueueName"
                value = customized_metric_specification.value
              }
            }
          }
        }

        metrics {
          id          = "tasks"
          label       = "Running ${var.service_name} tasks"
          return_data = false

          metric_stat {
            stat = "Average"

            metric {
              namespace   = "ECS/ContainerInsights"
              metric_name = "RunningTaskCount"

              dimensions {
                name  = "ClusterName"
                value = var.cluster_name
              }

              dimensions {
                name  = "ServiceName"
                value = aws_ecs_service.this.name
              }
            }
          }
        }

        metrics {
          id          = "backlog_per_task"
          label       = "Visible messages per running task"
          expression  = "visible / tasks"
          return_data = true
        }
      }
    }
  }
}
