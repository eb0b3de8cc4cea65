# Test fixture: a VPC with two public subnets for the load balancer.
data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "test" {
  cidr_block = "10.42.0.0/16"
}

resource "aws_subnet" "public" {
  count = 2

  vpc_id            = aws_vpc.test.id
  cidr_block        = cidrsubnet(aws_vpc.test.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

output "vpc_id" {
  value = aws_vpc.test.id
}

output "vpc_cidr_block" {
  value = aws_vpc.test.cidr_block
}

output "subnet_ids" {
  value = aws_subnet.public[*].id
}
