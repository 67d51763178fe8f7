# The entry script against the stateful fake tenant, in the three Microsoft365DSC contexts plus partial states,
# propagation delay, throttling and give-up. Every run is a separate pwsh process, as under the command resource.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'fake/FakeExchangeTenant.psm1') -Force
    $script:AppId = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'
    $script:ObjectId = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
    $script:OtherAppId = '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'
    $script:OtherObjectId = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'

    function New-RunEnvironment {
        param([string[]] $Mailboxes = @('fax@contoso.com', 'notify@contoso.com'), [string] $SmtpAuth = 'mailbox', [hashtable] $Extra = @{})
        $variables = @{
            UCX_EXCHANGE_AUTH = 'managedIdentity'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.com'
            UCX_EXCHANGE_APP_ID = $script:AppId; UCX_EXCHANGE_SP_OBJECT_ID = $script:ObjectId
            UCX_EXCHANGE_SP_DISPLAY_NAME = 'UCXSuiteMail'; UCX_EXCHANGE_MAILBOXES = (ConvertTo-Json -InputObject @($Mailboxes) -Compress)
            UCX_EXCHANGE_SMTP_AUTH = $SmtpAuth; UCX_EXCHANGE_MAX_WAIT_MINUTES = '10'
        }
        foreach ($key in $Extra.Keys) { $variables[$key] = $Extra[$key] }
        $variables
    }

    function New-Tenant {
        param([hashtable] $Mailboxes = @{ 'fax@contoso.com' = $null; 'notify@contoso.com' = $true; 'other@contoso.com' = $false }, [hashtable] $Options = @{})
        $path = Join-Path $TestDrive ("tenant-{0}.json" -f [guid]::NewGuid())
        New-FakeExchangeTenant -Path $path -Mailboxes $Mailboxes -Expected @{ managedIdentity = $true } @Options
    }

    function Get-WriteName([string] $TenantPath) { @((Get-FakeExchangeTenant -Path $TenantPath).writes | ForEach-Object { $_.cmdlet }) }
}

Describe 'Exchange steps reconcile' {
    Context 'absent and should be present' {
        BeforeAll {
            $script:tenantPath = New-Tenant
            $script:run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $script:tenant = Get-FakeExchangeTenant -Path $tenantPath
        }
        It 'succeeds and prints exactly one JSON line' {
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $run.StdoutLines | Should -Be 1
            $run.Report.schema | Should -Be 'ucx-mail/exchange/v2'
        }
        It 'creates the service principal with -AppId -ObjectId -DisplayName and never -ServiceId' {
            $create = @($tenant.writes | Where-Object cmdlet -EQ 'New-ServicePrincipal')
            $create.Count | Should -Be 1
            $create[0].parameters.AppId | Should -Be $AppId
            $create[0].parameters.ObjectId | Should -Be $ObjectId
            $create[0].parameters.DisplayName | Should -Be 'UCXSuiteMail'
            $create[0].parameters.Keys | Should -Not -Contain 'ServiceId'
        }
        It 'grants FullAccess without auto-mapping on every configured mailbox and nothing else' {
            $grants = @($tenant.writes | Where-Object cmdlet -EQ 'Add-MailboxPermission')
            @($grants | ForEach-Object { $_.parameters.Identity }) | Should -Be @('fax@contoso.com', 'notify@contoso.com')
            $grants | ForEach-Object { $_.parameters.User | Should -Be $ObjectId; $_.parameters.AutoMapping | Should -BeFalse; $_.parameters.AccessRights | Should -Be @('FullAccess') }
            $tenant.mailboxes['other@contoso.com'].permissions.Count | Should -Be 0
        }
        It 'enables SMTP client authentication per mailbox and leaves the organization alone' {
            $tenant.mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled | Should -BeFalse
            $tenant.mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled | Should -Not -BeNullOrEmpty
            $tenant.mailboxes['notify@contoso.com'].smtpClientAuthenticationDisabled | Should -BeFalse
            Get-WriteName $tenantPath | Should -Not -Contain 'Set-TransportConfig'
            $tenant.transportConfig.smtpClientAuthenticationDisabled | Should -BeTrue
        }
        It 'records the previous SMTP values, keeping $null apart from $false' {
            $previous = $run.Report.previous.smtpClientAuthenticationDisabled
            $previous.ContainsKey('fax@contoso.com') | Should -BeTrue
            $previous['fax@contoso.com'] | Should -BeNullOrEmpty
            $previous['notify@contoso.com'] | Should -BeTrue
            $run.Report.previous.granted | Should -Be @('fax@contoso.com', 'notify@contoso.com')
            $run.Report.previous.servicePrincipal.present | Should -BeFalse
            ($run.Report.changed.Values | Measure-Object -Sum).Sum | Should -Be 5
        }
        It 'uses one connection for all mailboxes and always disconnects' {
            $tenant.connects.Count | Should -Be 1
            $tenant.disconnects | Should -Be 1
            $tenant.connects[0].ShowBanner | Should -BeFalse
        }
    }

    Context 'present and in desired state' {
        BeforeAll {
            $script:tenantPath = New-Tenant
            $script:first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            Clear-FakeExchangeLog -Path $tenantPath
        }
        It 'makes zero writes on a re-run that gets the previous JSON (an update)' {
            $again = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $again.ExitCode | Should -Be 0 -Because $again.Stderr
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
            $again.Report.changed.Count | Should -Be 0
            # The values found before the first run are carried forward, not the ones ucx-mail set.
            $again.Report.previous.smtpClientAuthenticationDisabled.ContainsKey('fax@contoso.com') | Should -BeTrue
            $again.Report.previous.smtpClientAuthenticationDisabled['fax@contoso.com'] | Should -BeNullOrEmpty
            $again.Report.previous.smtpClientAuthenticationDisabled['notify@contoso.com'] | Should -BeTrue
        }
        It 'makes zero writes on a converged tenant even without a previous JSON (a new create)' {
            $fresh = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $fresh.ExitCode | Should -Be 0 -Because $fresh.Stderr
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
            $fresh.Report.found.servicePrincipal.present | Should -BeTrue
        }
    }

    Context 'present and should be absent' {
        BeforeEach {
            $script:tenantPath = New-Tenant
            $script:first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $first.ExitCode | Should -Be 0
            Clear-FakeExchangeLog -Path $tenantPath
        }
        It 'delete restores the prior state exactly, $null included, and removes permissions and the service principal' {
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.mailboxes['fax@contoso.com'].ContainsKey('smtpClientAuthenticationDisabled') | Should -BeTrue
            $tenant.mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled | Should -BeNullOrEmpty
            $tenant.mailboxes['notify@contoso.com'].smtpClientAuthenticationDisabled | Should -BeTrue
            $tenant.mailboxes['other@contoso.com'].smtpClientAuthenticationDisabled | Should -BeFalse
            $tenant.mailboxes.Values | ForEach-Object { $_.permissions.Count | Should -Be 0 }
            $tenant.servicePrincipals.Count | Should -Be 0
            $restore = @($tenant.writes | Where-Object { $_.cmdlet -eq 'Set-CASMailbox' -and $_.parameters.Identity -eq 'fax@contoso.com' })
            $restore[0].parameters.SmtpClientAuthenticationDisabled | Should -BeNullOrEmpty
        }
        It 'a second delete with the same JSON writes nothing' {
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            Clear-FakeExchangeLog -Path $tenantPath
            $again = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $delete.ExitCode | Should -Be 0
            $again.ExitCode | Should -Be 0 -Because $again.Stderr
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
        }
        It 'revokes a mailbox removed from config and restores its SMTP value, leaving the others alone' {
            $update = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Mailboxes @('fax@contoso.com')) -PreviousStdout $first.Stdout
            $update.ExitCode | Should -Be 0 -Because $update.Stderr
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.mailboxes['notify@contoso.com'].permissions.Count | Should -Be 0
            $tenant.mailboxes['notify@contoso.com'].smtpClientAuthenticationDisabled | Should -BeTrue
            $tenant.mailboxes['fax@contoso.com'].permissions.Count | Should -Be 1
            $tenant.mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled | Should -BeFalse
            Get-WriteName $tenantPath | Should -Be @('Remove-MailboxPermission', 'Set-CASMailbox')
            $update.Report.previous.granted | Should -Be @('fax@contoso.com')
            @($update.Report.previous.smtpClientAuthenticationDisabled.Keys) | Should -Be @('fax@contoso.com')
        }
        It 'delete without a previous JSON touches nothing' {
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
        }
        It 'moves the access to a new app: the old principal and its grants go, the SMTP originals stay' {
            $moved = New-RunEnvironment -Extra @{ UCX_EXCHANGE_APP_ID = $OtherAppId; UCX_EXCHANGE_SP_OBJECT_ID = $OtherObjectId }
            $update = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment $moved -PreviousStdout $first.Stdout
            $update.ExitCode | Should -Be 0 -Because $update.Stderr
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            @($tenant.servicePrincipals | ForEach-Object { $_.AppId }) | Should -Be @($OtherAppId)
            @($tenant.mailboxes['fax@contoso.com'].permissions | ForEach-Object { $_.User }) | Should -Be @($OtherObjectId)
            $update.Report.previous.smtpClientAuthenticationDisabled.ContainsKey('fax@contoso.com') | Should -BeTrue
            $update.Report.previous.smtpClientAuthenticationDisabled['fax@contoso.com'] | Should -BeNullOrEmpty
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment $moved -PreviousStdout $update.Stdout
            $delete.ExitCode | Should -Be 0
            (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled | Should -BeNullOrEmpty
        }
    }

    Context 'partial states' {
        BeforeAll {
            # The principal exists under an old name, one mailbox is already granted, one already has SMTP AUTH on.
            $principal = @{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'Old name' }
            $script:tenantPath = New-Tenant -Mailboxes @{ 'fax@contoso.com' = $false; 'notify@contoso.com' = $null } -Options @{
                ServicePrincipals = @($principal); Permissions = @{ 'fax@contoso.com' = @($ObjectId) }
            }
            $script:run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
        }
        It 'writes only what differs' {
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $writes = (Get-FakeExchangeTenant -Path $tenantPath).writes
            @($writes | ForEach-Object { "$($_.cmdlet) $($_.parameters.Identity)" }) | Should -Be @(
                "Set-ServicePrincipal $AppId", 'Add-MailboxPermission notify@contoso.com', 'Set-CASMailbox notify@contoso.com')
            $writes[0].parameters.DisplayName | Should -Be 'UCXSuiteMail'
        }
        It 'delete keeps what existed before ucx-mail and undoes only its own writes' {
            Clear-FakeExchangeLog -Path $tenantPath
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $run.Stdout
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.servicePrincipals.Count | Should -Be 1
            $tenant.servicePrincipals[0].DisplayName | Should -Be 'Old name'
            $tenant.mailboxes['fax@contoso.com'].permissions.Count | Should -Be 1
            $tenant.mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled | Should -BeFalse
            $tenant.mailboxes['notify@contoso.com'].permissions.Count | Should -Be 0
            $tenant.mailboxes['notify@contoso.com'].smtpClientAuthenticationDisabled | Should -BeNullOrEmpty
            Get-WriteName $tenantPath | Should -Not -Contain 'Remove-ServicePrincipal'
        }
        It 'treats a duplicate-principal error as already done' {
            $tenantPath2 = New-Tenant -Options @{ PropagationCalls = 2 }
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath2 -Environment (New-RunEnvironment -Mailboxes @('other@contoso.com'))
            $first.ExitCode | Should -Be 0 -Because $first.Stderr
            # The new principal is still invisible to the listing, so this run tries to create it and hears "already exists".
            $tenant = Get-FakeExchangeTenant -Path $tenantPath2
            $tenant.servicePrincipals[0].pendingCalls = 5
            Set-Content -LiteralPath $tenantPath2 -Value ($tenant | ConvertTo-Json -Depth 20)
            $second = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath2 -Environment (New-RunEnvironment -Mailboxes @('other@contoso.com'))
            $second.ExitCode | Should -Be 0 -Because $second.Stderr
            $second.Report.changed.Count | Should -Be 0
        }
    }

    Context 'after a failed run' {
        It 'still revokes a grant that a failed update made, because ucx-mail created the principal' {
            $tenantPath = New-Tenant
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Mailboxes @('fax@contoso.com'))
            $first.ExitCode | Should -Be 0 -Because $first.Stderr
            # As if an update that added notify@ granted FullAccess and then gave up: Pulumi keeps the old JSON.
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.mailboxes['notify@contoso.com'].permissions = @(@{ User = $ObjectId; AccessRights = @('FullAccess'); Deny = $false; AutoMapping = $false })
            Set-Content -LiteralPath $tenantPath -Value ($tenant | ConvertTo-Json -Depth 20)
            $retry = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $retry.ExitCode | Should -Be 0 -Because $retry.Stderr
            $retry.Report.previous.granted | Should -Contain 'notify@contoso.com'
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $retry.Stdout
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['notify@contoso.com'].permissions.Count | Should -Be 0
        }
    }

    Context '-WhatIf' {
        It 'Sync-UcxExchangeAccess -WhatIf reads but writes nothing, even with the principal absent' {
            $tenantPath = New-Tenant -Options @{ PropagationCalls = 3 }
            Enter-FakeExchangeSession -TenantPath $tenantPath
            try {
                Reset-UcxRetryBudget -MaxWaitMinutes 1 -TimeScale 0.001
                $report = Sync-UcxExchangeAccess -AppId $AppId -ServicePrincipalObjectId $ObjectId -ServicePrincipalName 'UCXSuiteMail' `
                    -Mailboxes @('fax@contoso.com', 'notify@contoso.com') -SmtpAuth mailbox -WhatIf 6>$null
                $report.previous.granted.Count | Should -Be 2
                (Get-FakeExchangeTenant -Path $tenantPath).writes.Count | Should -Be 0
                (Get-FakeExchangeTenant -Path $tenantPath).callCount | Should -BeGreaterThan 0
            } finally { Exit-FakeExchangeSession }
        }
    }

    Context 'smtpAuth scope' {
        It 'organization: Set-TransportConfig, a mailbox whose own $true would override it inherits, and delete puts both back' {
            $tenantPath = New-Tenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -SmtpAuth organization)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.transportConfig.smtpClientAuthenticationDisabled | Should -BeFalse
            # The per-mailbox setting overrides the tenant's (Set-CASMailbox reference): notify@ had $true, fax@ inherits already.
            $tenant.mailboxes['notify@contoso.com'].ContainsKey('smtpClientAuthenticationDisabled') | Should -BeTrue
            $tenant.mailboxes['notify@contoso.com'].smtpClientAuthenticationDisabled | Should -BeNullOrEmpty
            @($tenant.writes | Where-Object cmdlet -EQ 'Set-CASMailbox' | ForEach-Object { $_.parameters.Identity }) | Should -Be @('notify@contoso.com')
            $run.Report.previous.smtpClientAuthenticationDisabled['notify@contoso.com'] | Should -BeTrue
            $run.Report.previous.organization.smtpClientAuthenticationDisabled | Should -BeTrue
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $run.Stdout
            $delete.ExitCode | Should -Be 0
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.transportConfig.smtpClientAuthenticationDisabled | Should -BeTrue
            $tenant.mailboxes['notify@contoso.com'].smtpClientAuthenticationDisabled | Should -BeTrue
        }
        It 'unchanged: touches no SMTP setting at all' {
            $tenantPath = New-Tenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -SmtpAuth unchanged)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            Get-WriteName $tenantPath | Should -Be @('New-ServicePrincipal', 'Add-MailboxPermission', 'Add-MailboxPermission')
        }
        It 'switching from mailbox to organization restores the mailbox values' {
            $tenantPath = New-Tenant
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $second = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -SmtpAuth organization) -PreviousStdout $first.Stdout
            $second.ExitCode | Should -Be 0 -Because $second.Stderr
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled | Should -BeNullOrEmpty
            # notify@ had $true, which would block SMTP in organization scope: it inherits now and keeps its record.
            $tenant.mailboxes['notify@contoso.com'].smtpClientAuthenticationDisabled | Should -BeNullOrEmpty
            $second.Report.previous.smtpClientAuthenticationDisabled['notify@contoso.com'] | Should -BeTrue
            $second.Report.previous.smtpClientAuthenticationDisabled.ContainsKey('fax@contoso.com') | Should -BeFalse
            $tenant.transportConfig.smtpClientAuthenticationDisabled | Should -BeFalse
        }
    }

    Context 'eventual consistency and throttling' {
        It 'waits out a principal that is "not found" for a while after New-ServicePrincipal' {
            $tenantPath = New-Tenant -Options @{ PropagationCalls = 4 }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $run.Stderr | Should -Match 'not found yet, retry'
            (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['fax@contoso.com'].permissions.Count | Should -Be 1
        }
        It 'converges through throttling, and a re-run still makes zero writes' {
            $tenantPath = New-Tenant -Options @{ ThrottleEvery = 3 }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $run.Stderr | Should -Match 'throttled, retry'
            Clear-FakeExchangeLog -Path $tenantPath
            $again = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $run.Stdout
            $again.ExitCode | Should -Be 0 -Because $again.Stderr
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
        }
        It 'gives up after the maximum wait, names the step and says re-running resumes safely' {
            $tenantPath = New-Tenant -Options @{ PropagationCalls = 10000 }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Extra @{ UCX_EXCHANGE_MAX_WAIT_MINUTES = '1' })
            $run.ExitCode | Should -Be 1
            $run.Stdout | Should -BeNullOrEmpty
            # Without the host line of Disconnect-ExchangeOnline: the New-ServicePrincipal progress line and one failure sentence.
            $message = @($run.Stderr -split "`n" | Where-Object { $_ -notmatch 'retry \d+ in|Disconnected successfully' -and $_.Trim() })
            $message.Count | Should -Be 2
            $message[-1] | Should -Match "Step 'Add-MailboxPermission fax@contoso.com' gave up after waiting 1 minute"
            $message[-1] | Should -Match 're-running `pulumi up` resumes safely'
            # 2+4+8+16 s fit in one minute, the next 32 s do not: exactly four retries.
            @($run.Stderr -split "`n" | Where-Object { $_ -match 'retry \d+ in' }).Count | Should -Be 4
        }
        It 'fails fast and names the config key when a mailbox does not exist' {
            $tenantPath = New-Tenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Mailboxes @('nobody@contoso.com'))
            $run.ExitCode | Should -Be 1
            $run.Stderr | Should -Match "Mailbox 'nobody@contoso.com' was not found.*'mailboxes' config key"
            $run.Stderr | Should -Not -Match 'retry'
        }
    }
}
