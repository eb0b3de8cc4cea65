# The deploy role: the services the stack's modules use, scoped to this account and region and,
# where the names are the stack's, to those names. IAM only with the permissions boundary, so
# no role it creates or edits can exceed the boundary; explicit denies on audit services, on the
# state bucket's history and on the CI roles themselves.

locals {
  regional = "${local.region}:${local.account_id}"

  # Roles the deploy role creates or edits must carry the boundary (iam:PermissionsBoundary
  # is evaluated for these actions).
  boundary_bound_actions = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
  ]
}

data "aws_iam_policy_document" "deploy" {
  #checkov:skip=CKV_ORG_8:Describe/List calls and creating EC2/ELB resources (whose ARNs do not exist yet) support no resource-level permissions; the other actions are scoped to this stack's ARNs

  # --- state ----------------------------------------------------------------------------

  statement {
    sid       = "ListStateBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadWriteStateAndLocks"
    effect    = "Allow"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = [local.state_objects_arn]
  }

  dynamic "statement" {
    for_each = local.lock_table_arn == null ? [] : [local.lock_table_arn]
    content {
      sid       = "LockStateTable"
      effect    = "Allow"
      actions   = ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]
    content {
      sid       = "StateKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }

  # --- the services of the stack ----------------------------------------------------------

  # VPC, subnets, routes, NAT, endpoints, security groups, flow logs: EC2 create calls name no
  # ARN before the resource exists, so they are limited to this region.
  statement {
    sid    = "Network"
    effect = "Allow"
    actions = [
      "ec2:Allocate*", "ec2:Associate*", "ec2:Attach*", "ec2:Authorize*", "ec2:Create*",
      "ec2:Delete*", "ec2:Describe*", "ec2:Detach*", "ec2:Disassociate*", "ec2:Modify*",
      "ec2:Release*", "ec2:Replace*", "ec2:Revoke*", "ec2:UpdateSecurityGroupRuleDescriptions*",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  statement {
    sid    = "ServicesOfThisRegion"
    effect = "Allow"
    actions = [
      "application-autoscaling:*ScalableTarget*", "application-autoscaling:*ScalingPolicy*",
      "application-autoscaling:Describe*", "application-autoscaling:ListTagsForResource",
      "application-autoscaling:TagResource", "application-autoscaling:UntagResource",
      "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource",
      "ecs:*Cluster*", "ecs:*Service*", "ecs:*TaskDefinition*", "ecs:Describe*", "ecs:List*",
      "ecs:PutClusterCapacityProviders", "ecs:TagResource", "ecs:UntagResource",
      "elasticloadbalancing:Add*", "elasticloadbalancing:Create*", "elasticloadbalancing:Delete*",
      "elasticloadbalancing:Describe*", "elasticloadbalancing:Modify*", "elasticloadbalancing:Remove*",
      "elasticloadbalancing:Set*",
      "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # Creating a key, requesting a certificate and listing aliases name no ARN.
  statement {
    sid       = "CreateKeysAndCertificates"
    effect    = "Allow"
    actions   = ["acm:RequestCertificate", "kms:CreateKey", "kms:ListAliases"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # The environment's keys (modules/kms, the token's, the alarm topic's), its certificate, alarm
  # topic, dashboard and web ACL; key use (encrypt/decrypt) is not among these.
  statement {
    sid    = "StackKeysCertificatesTopicsDashboardsFirewall"
    effect = "Allow"
    actions = [
      "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion",
      "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
      "acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:DescribeCertificate",
      "acm:ListTagsForCertificate", "acm:RemoveTagsFromCertificate",
      "sns:CreateTopic", "sns:DeleteTopic", "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes",
      "sns:ListTagsForResource", "sns:SetSubscriptionAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
      "sns:TagResource", "sns:Unsubscribe", "sns:UntagResource",
      "cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard",
      "wafv2:CreateWebACL", "wafv2:DeleteWebACL", "wafv2:ListTagsForResource", "wafv2:TagResource",
      "wafv2:UntagResource", "wafv2:UpdateWebACL",
    ]
    resources = [
      "arn:${local.partition}:kms:${local.regional}:key/*",
      "arn:${local.partition}:kms:${local.regional}:alias/${var.name}-*",
      "arn:${local.partition}:acm:${local.regional}:certificate/*",
      "arn:${local.partition}:sns:${local.regional}:${var.name}-*",
      "arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/${var.name}",
      "arn:${local.partition}:wafv2:${local.regional}:regional/webacl/${var.name}-*/*",
      # A web ACL that references AWS managed rule groups needs them in the request's resources.
      "arn:${local.partition}:wafv2:${local.regional}:regional/managedruleset/*/*",
    ]
  }

  # Certificate validation records in the environment's hosted zone (Route 53 is global).
  statement {
    sid       = "CertificateValidationRecords"
    effect    = "Allow"
    actions   = ["route53:ChangeResourceRecordSets", "route53:GetChange", "route53:GetHostedZone", "route53:ListResourceRecordSets"]
    resources = ["arn:${local.partition}:route53:::hostedzone/*", "arn:${local.partition}:route53:::change/*"]
  }

  statement {
    sid    = "StackQueuesLogsRegistriesParameters"
    effect = "Allow"
    actions = [
      "ecr:CreateRepository", "ecr:DeleteLifecyclePolicy", "ecr:DeleteRepository", "ecr:DescribeImages",
      "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
      "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy",
      "ecr:TagResource", "ecr:UntagResource",
      "ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload",
      "ecr:PutImage", "ecr:UploadLayerPart",
      "logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
      "logs:DescribeLogGroups", "logs:DisassociateKmsKey", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
      "logs:PutRetentionPolicy", "logs:TagLogGroup", "logs:TagResource", "logs:UntagLogGroup", "logs:UntagResource",
      "sqs:AddPermission", "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
      "sqs:ListQueueTags", "sqs:RemovePermission", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue",
      "ssm:AddTagsToResource", "ssm:DeleteParameter", "ssm:DescribeParameters", "ssm:GetParameter",
      "ssm:GetParameters", "ssm:ListTagsForResource", "ssm:PutParameter", "ssm:RemoveTagsFromResource",
    ]
    resources = [
      "arn:${local.partition}:ecr:${local.regional}:repository/*",
      "arn:${local.partition}:logs:${local.regional}:log-group:*",
      "arn:${local.partition}:sqs:${local.regional}:${var.name}-*",
      "arn:${local.partition}:ssm:${local.regional}:parameter/*",
    ]
  }

  statement {
    sid    = "StackBuckets"
    effect = "Allow"
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:GetAccelerateConfiguration",
      "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration", "s3:ListBucket", "s3:ListBucketVersions", "s3:PutBucket*",
      "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
      # force_destroy empties a disposable environment's bucket before deleting it.
      "s3:DeleteObject", "s3:DeleteObjectVersion",
    ]
    resources = ["arn:${local.partition}:s3:::${lower(var.name)}-*", "arn:${local.partition}:s3:::${lower(var.name)}-*/*"]
  }

  # --- IAM: this stack's roles and policies, always inside the boundary ----------------

  statement {
    sid       = "BoundedStackRoles"
    effect    = "Allow"
    actions   = local.boundary_bound_actions
    resources = [local.managed_roles_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  dynamic "statement" {
    for_each = length(var.attachable_policy_arns) == 0 ? [] : [var.attachable_policy_arns]
    content {
      sid       = "AttachOnlyAllowListedPolicies"
      effect    = "Allow"
      actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
      resources = [local.managed_roles_arn]

      condition {
        test     = "ArnEquals"
        variable = "iam:PolicyARN"
        values   = statement.value
      }

      condition {
        test     = "StringEquals"
        variable = "iam:PermissionsBoundary"
        values   = [local.boundary_arn]
      }
    }
  }

  statement {
    sid    = "ManageStackRoles"
    effect = "Allow"
    actions = [
      "iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:TagRole", "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
    ]
    resources = [local.managed_roles_arn]
  }

  statement {
    sid    = "ManageStackPolicies"
    effect = "Allow"
    actions = [
      "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
      "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:TagPolicy", "iam:UntagPolicy",
    ]
    resources = [local.managed_policies_arn]
  }

  statement {
    sid       = "PassStackRolesToServices"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [local.managed_roles_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    effect    = "Allow"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "ecs.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
      ]
    }
  }

  # --- never ---------------------------------------------------------------------------

  # The CI roles and the boundary are managed by an administrator (one-time set-up), never by
  # CI itself: a deploy role able to edit its own trust, policies or boundary could widen them.
  statement {
    sid       = "NeverTheCiRolesThemselves"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = [local.github_roles_arn, local.github_policies_arn]
  }

  statement {
    sid       = "NeverRemoveTheBoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }

  statement {
    sid    = "NeverBlindTheAudit"
    effect = "Deny"
    actions = [
      "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail",
      "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "config:StopConfigurationRecorder",
    ]
    resources = ["*"]
  }

  statement {
    sid    = "NeverDestroyStateHistory"
    effect = "Deny"
    actions = [
      "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:DeleteObjectVersion", "s3:PutBucketPolicy",
      "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
    ]
    resources = [local.state_bucket_arn, "${local.state_bucket_arn}/*"]
  }
}

# What any role the deploy role creates can ever do: the runtime calls of the services (task
# roles, execution roles, flow logs). The roles' own policies scope them to ARNs.
data "aws_iam_policy_document" "boundary" {
  statement {
    sid       = "PullImages"
    effect    = "Allow"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = ["arn:${local.partition}:ecr:${local.regional}:repository/*"]
  }

  statement {
    sid       = "WriteLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.regional}:log-group:*"]
  }

  statement {
    sid       = "StackQueues"
    effect    = "Allow"
    actions   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage"]
    resources = ["arn:${local.partition}:sqs:${local.regional}:${var.name}-*"]
  }

  statement {
    sid       = "StackDataObjects"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${lower(var.name)}-data-*/*"]
  }

  statement {
    sid       = "StackParametersAndKeys"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "ssm:GetParameter"]
    resources = ["arn:${local.partition}:ssm:${local.regional}:parameter/*", "arn:${local.partition}:kms:${local.regional}:key/*"]
  }

  # No resource-level permissions exist for these.
  statement {
    sid    = "Unscopable"
    effect = "Allow"
    actions = [
      "ecr:GetAuthorizationToken",
      "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }
}
