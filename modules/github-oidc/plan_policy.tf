# The plan role: what `terraform plan` of the stack needs (state reads, data sources, metadata
# reads for a refresh), and explicit denies on everything that is data or a secret. The denies
# win over any allow, also over a policy someone attaches later.
#
# The token: no unit manages the token parameter (modules/ecs creates only its key; the value
# is written by devstack.token), so a refresh never reads it and this role plans with refresh
# on (drift.yml) while it is denied every parameter value and SSM decryption.

data "aws_iam_policy_document" "plan" {
  #checkov:skip=CKV_ORG_8:Describe/List calls of EC2, ELB, ECS, autoscaling, CloudWatch and kms:ListAliases support no resource-level permissions; every other read is scoped to ARNs and the data/secret reads are explicitly denied

  statement {
    sid       = "ListStateBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.state_bucket_arn]
  }

  statement {
    sid       = "ReadState"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.state_objects_arn]
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]
    content {
      sid       = "DecryptState"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }

  statement {
    sid    = "DescribeUnscopable"
    effect = "Allow"
    actions = [
      "application-autoscaling:DescribeScalableTargets",
      "application-autoscaling:DescribeScalingPolicies",
      "ec2:DescribeAddresses",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeFlowLogs",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeNatGateways",
      "ec2:DescribeNetworkAcls",
      "ec2:DescribePrefixLists",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroupRules",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeTags",
      "ec2:DescribeVpcEndpoints",
      "ec2:DescribeVpcs",
      "ecs:DescribeTaskDefinition",
      "elasticloadbalancing:DescribeListenerAttributes",
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTags",
      "elasticloadbalancing:DescribeTargetGroupAttributes",
      "elasticloadbalancing:DescribeTargetGroups",
      "kms:ListAliases",
      "logs:DescribeLogGroups",
      "ssm:DescribeParameters",
    ]
    resources = ["*"]
  }

  statement {
    sid    = "ReadStackMetadata"
    effect = "Allow"
    actions = [
      "application-autoscaling:ListTagsForResource",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "ec2:DescribeVpcAttribute",
      "ecr:DescribeRepositories",
      "ecr:GetLifecyclePolicy",
      "ecr:GetRepositoryPolicy",
      "ecr:ListTagsForResource",
      "ecs:DescribeClusters",
      "ecs:DescribeServices",
      "ecs:ListTagsForResource",
      "logs:ListTagsForResource",
      "logs:ListTagsLogGroup",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ListQueueTags",
      "ssm:ListTagsForResource",
      "wafv2:GetWebACLForResource",
    ]
    resources = [
      "arn:${local.partition}:application-autoscaling:${local.region}:${local.account_id}:scalable-target/*",
      "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*",
      "arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:vpc/*",
      "arn:${local.partition}:ecs:${local.region}:${local.account_id}:*",
      "arn:${local.partition}:elasticloadbalancing:${local.region}:${local.account_id}:loadbalancer/app/${var.name}/*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*",
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${var.name}-*",
      "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/*",
    ]
  }

  # The stack's keys (the token's, the alarms'): metadata and key policy, never key material.
  statement {
    sid       = "ReadKeyMetadata"
    effect    = "Allow"
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]
  }

  statement {
    sid    = "ReadStackIam"
    effect = "Allow"
    actions = [
      "iam:GetOpenIDConnectProvider",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListPolicyVersions",
      "iam:ListRolePolicies",
    ]
    resources = [
      local.managed_roles_arn,
      local.managed_policies_arn,
      "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}",
    ]
  }

  # Bucket configuration only (GetBucket* never returns an object); no ListBucket on data.
  statement {
    sid    = "ReadStackBucketConfiguration"
    effect = "Allow"
    actions = [
      "s3:GetAccelerateConfiguration",
      "s3:GetBucketAcl",
      "s3:GetBucketCORS",
      "s3:GetBucketLogging",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketOwnershipControls",
      "s3:GetBucketPolicy",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketRequestPayment",
      "s3:GetBucketTagging",
      "s3:GetBucketVersioning",
      "s3:GetBucketWebsite",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
    ]
    resources = ["arn:${local.partition}:s3:::${lower(var.name)}-*"]
  }

  # --- never: state writes, data, messages, logs, images, secrets ---------------------

  statement {
    sid       = "NeverWriteStateOrLocks"
    effect    = "Deny"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject", "s3:PutObjectAcl", "s3:RestoreObject"]
    resources = [local.state_bucket_arn, "${local.state_bucket_arn}/*"]
  }

  statement {
    sid       = "NeverReadData"
    effect    = "Deny"
    actions   = ["s3:GetObject", "s3:GetObjectAttributes", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"]
    resources = flatten([for arn in local.data_bucket_arns : [arn, "${arn}/*"]])
  }

  statement {
    sid       = "NeverReadMessages"
    effect    = "Deny"
    actions   = ["sqs:ReceiveMessage"]
    resources = ["*"]
  }

  statement {
    sid    = "NeverReadLogs"
    effect = "Deny"
    actions = [
      "logs:FilterLogEvents",
      "logs:GetLogEvents",
      "logs:GetLogGroupFields",
      "logs:GetLogRecord",
      "logs:GetQueryResults",
      "logs:StartLiveTail",
      "logs:StartQuery",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "NeverPullImages"
    effect    = "Deny"
    actions   = ["ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer"]
    resources = ["*"]
  }

  # Parameter values (the token), secrets and SSM's decryption of SecureStrings.
  statement {
    sid    = "NeverReadSecrets"
    effect = "Deny"
    actions = [
      "secretsmanager:GetSecretValue",
      "ssm:GetParameter",
      "ssm:GetParameterHistory",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "NeverDecryptTheToken"
    effect    = "Deny"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    # SecureStrings are decrypted by SSM on the caller's behalf (aws/ssm or a customer key).
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = var.token_kms_key_arn == null ? [] : [var.token_kms_key_arn]
    content {
      sid       = "NeverUseTheTokenKey"
      effect    = "Deny"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
