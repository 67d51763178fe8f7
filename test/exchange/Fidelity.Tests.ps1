# The reconcile against the shapes real Exchange Online returns: a service principal shown by display name in
# Get-MailboxPermission, an object id that older output calls ServiceId, host output from connect and disconnect.
# Also checks that the module the manual script embeds stays Windows PowerShell 5.1 syntax and plain ASCII.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'fake/FakeExchangeTenant.psm1') -Force
    $script:AppId = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'
    $script:ObjectId = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
    $script:OtherAppId = '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'
    $script:OtherObjectId = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'
    $script:ModuleRoot = Join-Path $PSScriptRoot '../../components/exchange'
    # Every file of the module: the loader and each part that parts.json lists (all of them go into the manual script).
    $script:ModuleFiles = @((Join-Path $ModuleRoot 'UcxMailExchange.psm1')) + @((Get-Content -LiteralPath (Join-Path $ModuleRoot 'parts.json') -Raw | ConvertFrom-Json).parts | ForEach-Object { Join-Path $ModuleRoot $_.file })

    function New-RunEnvironment {
        param([string[]] $Mailboxes = @('fax@contoso.com'), [string] $Name = 'UCXSuiteMail')
        @{
            UCX_EXCHANGE_AUTH = 'managedIdentity'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.com'
            UCX_EXCHANGE_APP_ID = $script:AppId; UCX_EXCHANGE_SP_OBJECT_ID = $script:ObjectId
            UCX_EXCHANGE_SP_DISPLAY_NAME = $Name; UCX_EXCHANGE_MAILBOXES = (ConvertTo-Json -InputObject @($Mailboxes) -Compress)
            UCX_EXCHANGE_SMTP_AUTH = 'mailbox'; UCX_EXCHANGE_MAX_WAIT_MINUTES = '1'
        }
    }

    function New-Tenant {
        param([hashtable] $Options = @{})
        # The User column form is undocumented: contexts that run per form set it, every tenant they make uses it.
        if ($script:UserForm -and -not $Options.ContainsKey('PermissionUserForm')) { $Options['PermissionUserForm'] = $script:UserForm }
        $path = Join-Path $TestDrive ("tenant-{0}.json" -f [guid]::NewGuid())
        New-FakeExchangeTenant -Path $path -Mailboxes @{ 'fax@contoso.com' = $null; 'notify@contoso.com' = $true } -Expected @{ managedIdentity = $true } @Options
    }

    function Get-WriteName([string] $TenantPath) { @((Get-FakeExchangeTenant -Path $TenantPath).writes | ForEach-Object { $_.cmdlet }) }
}

Describe 'Fidelity to Exchange Online output' {
    Context 'Get-MailboxPermission shows the service principal by its <_>' -ForEach @('DisplayName', 'ObjectId', 'AppId') {
        BeforeAll { $script:UserForm = $_ }
        AfterAll { $script:UserForm = $null }
        It 'finds its own FullAccess without the -User filter, so a re-run writes nothing' {
            $tenantPath = New-Tenant
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $first.ExitCode | Should -Be 0 -Because $first.Stderr
            Clear-FakeExchangeLog -Path $tenantPath
            $again = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $again.ExitCode | Should -Be 0 -Because $again.Stderr
            $again.Report.changed.Count | Should -Be 0
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
        }
        It 'does not mistake another principal''s FullAccess for its own' {
            $other = @{ AppId = $OtherAppId; ObjectId = $OtherObjectId; DisplayName = 'Scanner app' }
            $tenantPath = New-Tenant -Options @{ ServicePrincipals = @($other); Permissions = @{ 'fax@contoso.com' = @($OtherObjectId) } }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $run.Report.changed['Add-MailboxPermission'] | Should -Be 1
            @((Get-FakeExchangeTenant -Path $tenantPath).mailboxes['fax@contoso.com'].permissions | ForEach-Object { $_.User }) | Should -Be @($OtherObjectId, $ObjectId)
        }
        It 'refuses, before any write, a name that another service principal already has' {
            $other = @{ AppId = $OtherAppId; ObjectId = $OtherObjectId; DisplayName = 'ucxsuitemail' }
            $tenantPath = New-Tenant -Options @{ ServicePrincipals = @($other); Permissions = @{ 'fax@contoso.com' = @($OtherObjectId) } }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 1
            $run.Stderr | Should -Match "already named 'ucxsuitemail'.*exchangeServicePrincipalName"
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
        }
        It 'delete finds and removes the grant it made, and a second delete writes nothing' {
            $tenantPath = New-Tenant
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['fax@contoso.com'].permissions.Count | Should -Be 0
            Clear-FakeExchangeLog -Path $tenantPath
            $again = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $again.ExitCode | Should -Be 0 -Because $again.Stderr
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
        }
    }

    Context 'a grant that Get-MailboxPermission does not list' {
        It 'delete still removes the FullAccess ucx-mail made, and a missing entry (only a warning) is no change' {
            $tenantPath = New-Tenant
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $first.ExitCode | Should -Be 0 -Because $first.Stderr
            Enter-FakeExchangeSession -TenantPath $tenantPath
            try {
                # A User column form that matches none of the principal's identities: the listing never shows the grant.
                Mock -ModuleName UcxMailExchange Get-MailboxPermission {
                    [pscustomobject]@{ Identity = 'fax@contoso.com'; User = 'S-1-5-21-0-0-0-99999'; AccessRights = @('FullAccess'); IsInherited = $false; Deny = $false }
                }
                $state = ConvertFrom-UcxExchangeState -Json $first.Stdout
                $removed = Remove-UcxExchangeAccess -PreviousState $state 2>$null
                $removed.changed['Remove-MailboxPermission'] | Should -Be 1
                (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['fax@contoso.com'].permissions.Count | Should -Be 0
            } finally { Exit-FakeExchangeSession }
        }
    }

    Context 'removing a grant that is already gone' {
        It 'calls Remove-MailboxPermission, hears only the ACE warning and reports no change' {
            $principal = @{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' }
            $tenantPath = New-Tenant -Options @{ ServicePrincipals = @($principal) }
            $state = @{ schema = 'ucx-mail/exchange/v2'; operation = 'apply'; appId = $AppId; servicePrincipalObjectId = $ObjectId; servicePrincipalName = 'UCXSuiteMail'; smtpAuth = 'mailbox'
                previous = @{ servicePrincipal = @{ present = $true; displayName = 'UCXSuiteMail' }; granted = @('fax@contoso.com'); smtpClientAuthenticationDisabled = @{} } } | ConvertTo-Json -Depth 5 -Compress
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $state
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            Get-WriteName $tenantPath | Should -Be @('Remove-MailboxPermission')
            $delete.Stderr | Should -Match "because the ACE doesn't exist on the object"
            $delete.Report.changed.Count | Should -Be 0
        }
    }

    Context 'Get-ServicePrincipal output that names the object id ServiceId' {
        It 'renames and later restores an existing principal by its AppId, whatever the id property is called' {
            $principal = @{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'Old name' }
            $tenantPath = New-Tenant -Options @{ ServicePrincipals = @($principal); PrincipalIdProperty = 'ServiceId' }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $rename = @((Get-FakeExchangeTenant -Path $tenantPath).writes | Where-Object cmdlet -EQ 'Set-ServicePrincipal')
            $rename.Count | Should -Be 1
            $rename[0].parameters.Identity | Should -Be $AppId
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $run.Stdout
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            (Get-FakeExchangeTenant -Path $tenantPath).servicePrincipals[0].DisplayName | Should -Be 'Old name'
        }
        It 'removes a principal it created by its AppId' {
            $tenantPath = New-Tenant -Options @{ PrincipalIdProperty = 'ServiceId' }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $run.Stdout
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.servicePrincipals.Count | Should -Be 0
            @($tenant.writes | Where-Object cmdlet -EQ 'Remove-ServicePrincipal')[0].parameters.Identity | Should -Be $AppId
        }
    }

    Context 'Add-MailboxPermission on a grant that exists already' {
        It 'reports no change when Exchange only warns that the entry is already present' {
            $principal = @{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' }
            $tenantPath = New-Tenant -Options @{ ServicePrincipals = @($principal); Permissions = @{ 'fax@contoso.com' = @($ObjectId) } }
            Enter-FakeExchangeSession -TenantPath $tenantPath
            try {
                # A permission list that lags behind: it does not show the grant yet.
                Mock -ModuleName UcxMailExchange Get-MailboxPermission {
                    [pscustomobject]@{ Identity = 'fax@contoso.com'; User = 'NT AUTHORITY\SELF'; AccessRights = @('FullAccess', 'ReadPermission'); IsInherited = $false; Deny = $false }
                }
                $report = Sync-UcxExchangeAccess -AppId $AppId -ServicePrincipalObjectId $ObjectId -ServicePrincipalName 'UCXSuiteMail' `
                    -Mailboxes @('fax@contoso.com') -SmtpAuth unchanged 2>$null
                @((Get-FakeExchangeTenant -Path $tenantPath).writes | ForEach-Object { $_.cmdlet }) | Should -Be @('Add-MailboxPermission')
                $report.changed.Count | Should -Be 0
            } finally { Exit-FakeExchangeSession }
        }
    }

    Context 'host output of the Exchange module' {
        It 'keeps stdout to the one JSON line although disconnect prints "Disconnected successfully !"' {
            $tenantPath = New-Tenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $run.StdoutLines | Should -Be 1
            $run.Stdout | Should -Not -Match 'Disconnected'
            $run.Stderr | Should -Match 'Disconnected successfully'
            (Get-FakeExchangeTenant -Path $tenantPath).disconnects | Should -Be 1
        }
    }

    Context 'the module the manual script embeds' {
        BeforeAll {
            $script:Parsed = foreach ($file in $ModuleFiles) {
                $tokens = $null; $errors = $null
                $ast = [System.Management.Automation.Language.Parser]::ParseFile((Resolve-Path $file).ProviderPath, [ref]$tokens, [ref]$errors)
                [pscustomobject]@{ File = Split-Path -Leaf $file; Ast = $ast; Tokens = $tokens; Errors = $errors }
            }
        }
        It 'has at least the loader and five parts' { @($Parsed).Count | Should -BeGreaterOrEqual 6 }
        It 'loads with -ArgumentList readOnly only the parts that never write' {
            $module = Import-Module (Join-Path $ModuleRoot 'UcxMailExchange.psd1') -ArgumentList 'readOnly' -Force -PassThru
            try {
                $exported = @($module.ExportedFunctions.Keys)
                $exported | Should -Contain 'Test-UcxFullAccess'
                $exported | Should -Contain 'Get-UcxCasMailboxSetting'
                $exported | Should -Not -Contain 'Sync-UcxExchangeAccess'
                # Not even hidden inside the module: no function that writes was defined at all.
                & $module { @(Get-Command -Name 'Sync-UcxExchangeAccess', 'Remove-UcxExchangeAccess', 'Set-UcxMailboxSmtpSetting' -ErrorAction SilentlyContinue) } | Should -BeNullOrEmpty
            } finally { Remove-Module UcxMailExchange -ErrorAction SilentlyContinue }
        }
        It 'parses' { @($Parsed | ForEach-Object { $_.Errors }) | Should -BeNullOrEmpty }
        It 'uses none of the PowerShell 7 operators: ternary, pipeline chains, ??, ??=, ?. and ?[]' {
            $sevenOnly = foreach ($one in $Parsed) { @($one.Ast.FindAll({
                        param($node)
                        $node -is [System.Management.Automation.Language.TernaryExpressionAst] -or
                        $node -is [System.Management.Automation.Language.PipelineChainAst] -or
                        ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and $node.Operator -eq 'QuestionQuestion') -or
                        ($node -is [System.Management.Automation.Language.AssignmentStatementAst] -and $node.Operator -eq 'QuestionQuestionEquals') -or
                        ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.NullConditional) -or
                        ($node -is [System.Management.Automation.Language.IndexExpressionAst] -and $node.NullConditional)
                    }, $true)) | ForEach-Object { "$($one.File) line $($_.Extent.StartLineNumber): $($_.Extent.Text)" } }
            @($sevenOnly) | Should -BeNullOrEmpty
        }
        It 'calls no parameter or API that Windows PowerShell 5.1 lacks' {
            $sevenOnlyParameters = @{
                'ConvertFrom-Json' = @('AsHashtable', 'Depth', 'NoEnumerate'); 'ConvertTo-Json' = @('EnumsAsStrings', 'AsArray')
                'ForEach-Object' = @('Parallel', 'ThrottleLimit'); 'Join-Path' = @('AdditionalChildPath'); 'Get-Content' = @('AsByteStream')
                'Invoke-RestMethod' = @('SkipHttpErrorCheck', 'StatusCodeVariable', 'ResponseHeadersVariable', 'Authentication', 'Token')
                'Select-String' = @('Raw')
            }
            $found = foreach ($one in $Parsed) { foreach ($call in $one.Ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true)) {
                $name = $call.GetCommandName()
                if ($name -in @('Test-Json', 'Get-Error', 'Remove-Alias', 'Get-Uptime', 'Join-String', 'ConvertFrom-Markdown')) { "$name ($($one.File) line $($call.Extent.StartLineNumber))" }
                if ($name -and $sevenOnlyParameters.ContainsKey($name)) {
                    foreach ($element in $call.CommandElements) {
                        if ($element -is [System.Management.Automation.Language.CommandParameterAst] -and $element.ParameterName -in $sevenOnlyParameters[$name]) {
                            "$name -$($element.ParameterName) ($($one.File) line $($call.Extent.StartLineNumber))"
                        }
                    }
                }
            } }
            $found = @($found) + @($Parsed | ForEach-Object { $one = $_; $one.Tokens | Where-Object { $_.Text -eq 'ProcessPath' -and $_.Kind -eq 'Identifier' } | ForEach-Object { ".$($_.Text) ($($one.File) line $($_.Extent.StartLineNumber))" } })
            @($found) | Should -BeNullOrEmpty
        }
        It 'is plain ASCII, because Windows PowerShell 5.1 reads a file without BOM in the ANSI code page' {
            foreach ($file in $ModuleFiles) {
                $bytes = [System.IO.File]::ReadAllBytes((Resolve-Path $file).ProviderPath)
                # -gt filters the byte array in one call; a Where-Object script block per byte cost seconds.
                @($bytes -gt 127).Count | Should -Be 0 -Because $file
            }
        }
    }
}
