# Real prerequisites of the ecs module for its tests: a VPC with two private subnets, the ALB's
# security group and ip target group, a queue, a bucket and a KMS key. Plain resources on
# purpose, so the ecs test does not depend on the other modules. No load balancer: the ecs
# module only uses its ARN suffix (a string in the scaling policy's resource label), and
# creating one costs a minute of the provider waiting for moto's "active" state.
terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}

variable "name" {
  description = "Name prefix of the test resources."
  type        = string
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "this" {
  cidr_block = "10.42.0.0/16"
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "test ALB"
  vpc_id      = aws_vpc.this.id
}

resource "aws_lb_target_group" "frontend" {
  name        = "${var.name}-frontend"
  port        = 5000
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.this.id
}

resource "aws_sqs_queue" "this" {
  name = "${var.name}-queue"
}

resource "aws_s3_bucket" "data" {
  bucket        = "${var.name}-data"
  force_destroy = true
}

resource "aws_kms_key" "this" {
  description             = "${var.name} test key"
  deletion_window_in_days = 7
}

output "vpc_id" {
  value = aws_vpc.this.id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "alb_security_group_id" {
  value = aws_security_group.alb.id
}

output "target_group_arn" {
  value = aws_lb_target_group.frontend.arn
}

output "alb_arn_suffix" {
  description = "A well-formed suffix of a load balancer this test does not create (see the header)."
  value       = "app/${var.name}-alb/0123456789abcdef"
}

output "target_group_arn_suffix" {
  value = aws_lb_target_group.frontend.arn_suffix
}

output "queue_url" {
  value = aws_sqs_queue.this.url
}

output "queue_arn" {
  value = aws_sqs_queue.this.arn
}

output "queue_name" {
  value = aws_sqs_queue.this.name
}

output "bucket_name" {
  value = aws_s3_bucket.data.bucket
}

output "bucket_arn" {
  value = aws_s3_bucket.data.arn
}

output "kms_key_arn" {
  value = aws_kms_key.this.arn
}
