# Alarm settings: the module's defaults, overridden by whatever keys the inputs set.
locals {
  alarm_settings = {
    dlq_messages        = merge({ threshold = 0, period_seconds = 60, evaluation_periods = 1, datapoints_to_alarm = 1 }, var.dlq_messages_alarm)
    queue_age           = merge({ threshold = 900, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 5 }, var.queue_age_alarm)
    alb_5xx             = merge({ threshold = 5, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 3 }, var.alb_5xx_alarm)
    unhealthy_targets   = merge({ threshold = 0, period_seconds = 60, evaluation_periods = 3, datapoints_to_alarm = 3 }, var.unhealthy_targets_alarm)
    tasks_below_desired = merge({ threshold = 0, period_seconds = 60, evaluation_periods = 10, datapoints_to_alarm = 10 }, var.tasks_below_desired_alarm)
    response_time_p99   = merge({ threshold = 1, period_seconds = 60, evaluation_periods = 5, datapoints_to_alarm = 3 }, var.response_time_p99_alarm)
  }
}
