variable "name" {
  description = "Prefix of the role names, e.g. \"devops-dev\": roles are \"<name>-github-plan\" and \"<name>-github-deploy\"."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9+=,.@_-]{0,40}$", var.name))
    error_message = "name must start with a letter and use at most 41 IAM role-name characters."
  }
}

variable "github_repository" {
  description = "The repository allowed to assume the roles, as \"<owner>/<name>\" (exactly as GitHub spells it)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must look like \"owner/name\"."
  }
}

variable "github_environment" {
  description = "The GitHub environment whose jobs may assume the deploy role (the deploy workflow's `environment:`), e.g. \"prod\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.github_environment))
    error_message = "github_environment must be a GitHub environment name without spaces or wildcards."
  }
}

variable "deploy_from_main_branch" {
  description = "Also let jobs on refs/heads/main without an environment assume the deploy role. Leave false so that environment protection rules (required reviewers) always apply."
  type        = bool
  default     = false
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. An account has at most one per URL: set false where another unit already created it and pass oidc_provider_arn."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider; required when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com provider."
  }

  validation {
    condition     = var.create_oidc_provider || var.oidc_provider_arn != null
    error_message = "Set oidc_provider_arn when create_oidc_provider is false."
  }
}

variable "thumbprints" {
  description = "Certificate thumbprints of the OIDC provider. Empty (the default) lets AWS manage them: IAM verifies GitHub's tokens with its own trusted root CAs, and provider 5.x treats thumbprint_list as optional."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for t in var.thumbprints : can(regex("^[0-9a-fA-F]{40}$", t))])
    error_message = "thumbprints must be 40-character hex SHA-1 fingerprints."
  }
}

variable "state_bucket_name" {
  description = "The S3 bucket holding Terraform state: both roles read it; both write only what locking and (deploy) state updates need."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name."
  }
}

variable "state_key_prefix" {
  description = "Key prefix of this environment's state objects in the bucket (e.g. \"dev/\"); \"\" for the whole bucket."
  type        = string
  default     = ""

  validation {
    condition     = var.state_key_prefix == "" || can(regex("^[A-Za-z0-9!_.()/-]+/$", var.state_key_prefix))
    error_message = "state_key_prefix must be empty or end with \"/\" and contain no wildcard."
  }
}

variable "state_lock_table_name" {
  description = "DynamoDB lock table of the S3 backend, or null when the backend locks with S3 lock files (use_lockfile)."
  type        = string
  default     = null
}

variable "state_kms_key_arn" {
  description = "KMS key encrypting the state bucket, or null for SSE-S3."
  type        = string
  default     = null

  validation {
    condition     = var.state_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.state_kms_key_arn))
    error_message = "state_kms_key_arn must be a KMS key ARN."
  }
}

variable "trust_pull_requests" {
  description = "Let pull_request jobs (anyone who can open a pull request in the repository) assume the plan role. Only for an account without data worth protecting (dev); staging and prod plan through the reviewed plan environment."
  type        = bool
  default     = false
}

variable "plan_environment" {
  description = "The GitHub environment whose jobs may assume the plan role; null means \"plan-<github_environment>\". Give it required reviewers: its jobs run the pull request's code."
  type        = string
  default     = null

  validation {
    condition     = var.plan_environment == null || can(regex("^[A-Za-z0-9_-]{1,255}$", var.plan_environment))
    error_message = "plan_environment must be a GitHub environment name without spaces or wildcards."
  }
}

variable "deploy_workflow_paths" {
  description = "Workflow files whose jobs may assume the deploy role, at refs/heads/main (the OIDC job_workflow_ref claim). For a reusable workflow that is the called file."
  type        = list(string)
  default     = [".github/workflows/apply.yml"]

  validation {
    condition     = length(var.deploy_workflow_paths) > 0 && alltrue([for p in var.deploy_workflow_paths : can(regex("^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$", p))])
    error_message = "deploy_workflow_paths must list at least one .github/workflows/<file>.yml path, without wildcards."
  }
}

variable "data_bucket_names" {
  description = "Further buckets (names or patterns) whose objects the plan role is denied, besides the stack's \"<name>-data-*\" and \"<name>-alb-logs-*\"."
  type        = list(string)
  default     = []
}

variable "token_kms_key_arn" {
  description = "Customer-managed KMS key of the token parameter, if any: the plan role is denied any use of it (SSM decryption is denied either way)."
  type        = string
  default     = null

  validation {
    condition     = var.token_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.token_kms_key_arn))
    error_message = "token_kms_key_arn must be a KMS key ARN."
  }
}

variable "attachable_policy_arns" {
  description = "Managed policies the deploy role may attach to the stack's roles (iam:PolicyARN allow-list). Empty: the modules use inline policies only."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for arn in var.attachable_policy_arns :
      can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[A-Za-z0-9+=,.@_/-]+$", arn)) && !can(regex("(AdministratorAccess|PowerUserAccess|IAMFullAccess)$", arn))
    ])
    error_message = "attachable_policy_arns must be policy ARNs without wildcards, never AdministratorAccess, PowerUserAccess or IAMFullAccess."
  }
}

variable "max_session_duration" {
  description = "Maximum session length of both roles, in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
