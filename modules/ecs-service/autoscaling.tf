# Target tracking on the signals the caller chooses: CPU, ALB requests per target, and/or SQS
# backlog per task. With several policies Application Auto Scaling runs the largest of their
# desired counts, so any one signal scales out. Backlog per task is a metric-math expression
# (ApproximateNumberOfMessagesVisible / RunningTaskCount): target tracking keeps that ratio at
# the target in both directions with AWS-managed alarms, where step scaling would need our own
# alarms and step tables to approximate the same proportional behaviour.
# Counts test for null with conditionals, not try(): try() of a value with unknown parts (a
# resource label known only after apply) is unknown, and count must be known at plan time.
locals {
  # Scale-in waits longer than scale-out: a burst should not be answered by flapping.
  scale_in_cooldown  = 300
  scale_out_cooldown = 60
}

resource "aws_appautoscaling_target" "this" {
  count = var.autoscaling == null ? 0 : 1

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = var.autoscaling.min_count
  max_capacity       = var.autoscaling.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  count = var.autoscaling == null ? 0 : (var.autoscaling.cpu_target == null ? 0 : 1)

  name               = "${var.name}-${var.service_name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.cpu_target
    scale_in_cooldown  = local.scale_in_cooldown
    scale_out_cooldown = local.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count = var.autoscaling == null ? 0 : (var.autoscaling.requests_per_target == null ? 0 : 1)

  name               = "${var.name}-${var.service_name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.requests_per_target.target
    scale_in_cooldown  = local.scale_in_cooldown
    scale_out_cooldown = local.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = var.autoscaling.requests_per_target.resource_label
    }
  }
}

resource "aws_appautoscaling_policy" "backlog" {
  count = var.autoscaling == null ? 0 : (var.autoscaling.backlog_per_task == null ? 0 : 1)

  name               = "${var.name}-${var.service_name}-backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.backlog_per_task.target
    scale_in_cooldown  = local.scale_in_cooldown
    scale_out_cooldown = local.scale_out_cooldown

    customized_metric_specification {
      metrics {
        id          = "visible"
        label       = "Messages visible in ${var.autoscaling.backlog_per_task.queue_name}"
        return_data = false

        metric_stat {
          stat = "Sum"

          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"

            dimensions {
              name  = "QueueName"
              value = var.autoscaling.backlog_per_task.queue_name
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
