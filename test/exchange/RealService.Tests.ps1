# What the real Exchange Online does that a first `pulumi up` meets: Entra replication lag, a principal made with the
# wrong object id, identities without the needed roles, IMAP/POP disabled by a CAS mailbox plan, user-assigned
# identities, throttling warnings, token lifetime and ambiguous reads. Each in the Microsoft365DSC contexts where it
# applies: absent and should be present, present and in desired state, present and should be absent.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'fake/FakeExchangeTenant.psm1') -Force
    $script:AppId = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'
    $script:ObjectId = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
    $script:RegistrationObjectId = '2b3c4d5e-6f70-4a81-9b2c-3d4e5f6a7b8c'
    $script:AccountId = '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e'

    function New-RunEnvironment {
        param([string[]] $Mailboxes = @('fax@contoso.com'), [string] $SmtpAuth = 'mailbox', [hashtable] $Extra = @{})
        $variables = @{
            UCX_EXCHANGE_AUTH = 'managedIdentity'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.com'
            UCX_EXCHANGE_APP_ID = $script:AppId; UCX_EXCHANGE_SP_OBJECT_ID = $script:ObjectId
            UCX_EXCHANGE_SP_DISPLAY_NAME = 'UCXSuiteMail'; UCX_EXCHANGE_MAILBOXES = (ConvertTo-Json -InputObject @($Mailboxes) -Compress)
            UCX_EXCHANGE_SMTP_AUTH = $SmtpAuth; UCX_EXCHANGE_MAX_WAIT_MINUTES = '10'
            UCX_EXCHANGE_PERMISSIONS = '["IMAP.AccessAsApp","SMTP.SendAsApp"]'; UCX_EXCHANGE_MAILBOX_PROTOCOLS = 'enable'
        }
        foreach ($key in $Extra.Keys) { $variables[$key] = $Extra[$key] }
        $variables
    }

    function New-Tenant {
        param([hashtable] $Options = @{}, [hashtable] $Expected = @{ managedIdentity = $true })
        $path = Join-Path $TestDrive ("tenant-{0}.json" -f [guid]::NewGuid())
        New-FakeExchangeTenant -Path $path -Mailboxes @{ 'fax@contoso.com' = $null; 'notify@contoso.com' = $true } -Expected $Expected @Options
    }

    function Get-WriteName([string] $TenantPath) { @((Get-FakeExchangeTenant -Path $TenantPath).writes | ForEach-Object { $_.cmdlet }) }
}

Describe 'Exchange Online as it really answers' {
    Context 'Entra has not replicated the new enterprise application yet (absent and should be present)' {
        It 'retries AADServicePrincipalNotFound within the budget and converges' {
            $tenantPath = New-Tenant -Options @{ EntraLagCalls = 3; EntraServicePrincipals = @(@{ AppId = $AppId; ObjectId = $ObjectId }) }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            @($run.Stderr -split "`n" | Where-Object { $_ -match 'New-ServicePrincipal: Entra has not replicated the enterprise application yet, retry' }).Count | Should -Be 3
            @((Get-FakeExchangeTenant -Path $tenantPath).servicePrincipals).Count | Should -Be 1
        }
        It 'gives up naming the enterprise application object id, what was sent, and that re-running resumes' {
            # The app registration's object id: Entra never knows it as a service principal.
            $tenantPath = New-Tenant -Options @{ EntraServicePrincipals = @(@{ AppId = $AppId; ObjectId = $ObjectId }) }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Extra @{ UCX_EXCHANGE_SP_OBJECT_ID = $RegistrationObjectId; UCX_EXCHANGE_MAX_WAIT_MINUTES = '1' })
            $run.ExitCode | Should -Be 1
            $run.Stderr | Should -Match "Step 'New-ServicePrincipal' gave up"
            $run.Stderr | Should -Match "enterprise application's object id \(servicePrincipalObjectId\), not the app registration's"
            $run.Stderr | Should -Match "sent -AppId $AppId -ObjectId $RegistrationObjectId"
            $run.Stderr | Should -Match 're-running `pulumi up` resumes safely'
            Get-WriteName $tenantPath | Should -Be @('New-ServicePrincipal', 'New-ServicePrincipal', 'New-ServicePrincipal', 'New-ServicePrincipal', 'New-ServicePrincipal')
        }
    }

    Context 'a principal for the AppId made with the app registration''s object id' {
        It 'refuses before any write, naming both ids and the exact commands, and is never converged' {
            $wrong = @{ AppId = $AppId; ObjectId = $RegistrationObjectId; DisplayName = 'UCXSuiteMail' }
            $tenantPath = New-Tenant -Options @{ ServicePrincipals = @($wrong); Permissions = @{ 'fax@contoso.com' = @($RegistrationObjectId) } }
            foreach ($attempt in 1..2) {
                $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
                $run.ExitCode | Should -Be 1
                $run.Stdout | Should -BeNullOrEmpty
                $run.Stderr | Should -Match "object id $RegistrationObjectId instead of the enterprise application's object id $ObjectId"
                $run.Stderr | Should -Match "Remove-ServicePrincipal -Identity $AppId.*then run ``pulumi up``"
            }
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
        }
        It 'reads the object id from ServiceId in older output too' {
            $wrong = @{ AppId = $AppId; ObjectId = $RegistrationObjectId; DisplayName = 'UCXSuiteMail' }
            $tenantPath = New-Tenant -Options @{ ServicePrincipals = @($wrong); PrincipalIdProperty = 'ServiceId' }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 1
            $run.Stderr | Should -Match "object id $RegistrationObjectId instead"
        }
    }

    Context 'an identity whose Exchange roles do not grant a cmdlet' {
        It 'connects with -CommandName (exactly the run''s cmdlets) and -SkipLoadingFormatData' {
            $tenantPath = New-Tenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $connect = (Get-FakeExchangeTenant -Path $tenantPath).connects[0]
            $connect.SkipLoadingFormatData | Should -BeTrue
            @($connect.CommandName | Sort-Object) | Should -Be @('Add-MailboxPermission', 'Get-CASMailbox', 'Get-MailboxPermission', 'Get-ServicePrincipal', 'New-ServicePrincipal', 'Set-CASMailbox', 'Set-ServicePrincipal')
        }
        It 'fails before any write with one sentence naming the cmdlet and its role, without waiting' {
            $tenantPath = New-Tenant -Options @{ MissingCmdlets = @('New-ServicePrincipal') }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 1
            $run.Stderr | Should -Match "lacks New-ServicePrincipal \(management role 'Role Management'\)"
            $run.Stderr | Should -Not -Match 'retry'
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
            (Get-FakeExchangeTenant -Path $tenantPath).calls.Count | Should -Be 0
        }
        It 'also on delete, before restoring anything' {
            $tenantPath = New-Tenant
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.config.missingCmdlets = @('Remove-MailboxPermission')
            Set-Content -LiteralPath $tenantPath -Value ($tenant | ConvertTo-Json -Depth 20)
            Clear-FakeExchangeLog -Path $tenantPath
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $delete.ExitCode | Should -Be 1
            $delete.Stderr | Should -Match "Remove-MailboxPermission \(management role 'Mail Recipients'\)"
            Get-WriteName $tenantPath | Should -BeNullOrEmpty
        }
    }

    Context 'a user-assigned managed identity' {
        It 'passes -ManagedIdentityAccountId' {
            $tenantPath = New-Tenant -Expected @{ managedIdentity = $true; managedIdentityAccountId = $AccountId }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Extra @{ UCX_EXCHANGE_MANAGED_IDENTITY_ACCOUNT_ID = $AccountId })
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            (Get-FakeExchangeTenant -Path $tenantPath).connects[0].ManagedIdentityAccountId | Should -Be $AccountId
        }
        It 'cannot connect without it, and refuses it outside managedIdentity mode' {
            $tenantPath = New-Tenant -Expected @{ managedIdentity = $true; managedIdentityAccountId = $AccountId }
            (Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)).ExitCode | Should -Be 3
            $bad = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Extra @{ UCX_EXCHANGE_AUTH = 'accessToken'; EXO_ACCESS_TOKEN = 'not-a-jwt-access-token'; UCX_EXCHANGE_MANAGED_IDENTITY_ACCOUNT_ID = $AccountId })
            $bad.ExitCode | Should -Be 2
            $bad.Stderr | Should -Match 'UCX_EXCHANGE_MANAGED_IDENTITY_ACCOUNT_ID.*exchangeManagedIdentityAccountId'
        }
    }

    Context 'IMAP (and POP) disabled by the CAS mailbox plan' {
        BeforeAll {
            $script:imapTenant = New-Tenant -Options @{ CasSettings = @{ 'fax@contoso.com' = @{ imapEnabled = $false; popEnabled = $false } } }
            $script:withPop = New-RunEnvironment -Extra @{ UCX_EXCHANGE_PERMISSIONS = '["IMAP.AccessAsApp","POP.AccessAsApp","SMTP.SendAsApp"]' }
            $script:imapRun = Invoke-UcxExchangeEntry -Operation apply -TenantPath $imapTenant -Environment $withPop
        }
        It 'absent and should be present: enables IMAP and POP, recording the previous values' {
            $imapRun.ExitCode | Should -Be 0 -Because $imapRun.Stderr
            $mailbox = (Get-FakeExchangeTenant -Path $imapTenant).mailboxes['fax@contoso.com']
            $mailbox.imapEnabled | Should -BeTrue
            $mailbox.popEnabled | Should -BeTrue
            $imapRun.Report.previous.imapEnabled['fax@contoso.com'] | Should -BeFalse
            $imapRun.Report.previous.popEnabled['fax@contoso.com'] | Should -BeFalse
            # One Set-CASMailbox for SMTP, IMAP and POP together.
            @(Get-WriteName $imapTenant | Where-Object { $_ -eq 'Set-CASMailbox' }).Count | Should -Be 1
        }
        It 'present and in desired state: a re-run writes nothing' {
            Clear-FakeExchangeLog -Path $imapTenant
            $again = Invoke-UcxExchangeEntry -Operation apply -TenantPath $imapTenant -Environment $withPop -PreviousStdout $imapRun.Stdout
            $again.ExitCode | Should -Be 0 -Because $again.Stderr
            Get-WriteName $imapTenant | Should -BeNullOrEmpty
            $again.Report.previous.imapEnabled['fax@contoso.com'] | Should -BeFalse
        }
        It 'present and should be absent: delete restores both' {
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $imapTenant -Environment $withPop -PreviousStdout $imapRun.Stdout
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            $mailbox = (Get-FakeExchangeTenant -Path $imapTenant).mailboxes['fax@contoso.com']
            $mailbox.imapEnabled | Should -BeFalse
            $mailbox.popEnabled | Should -BeFalse
        }
        It 'restores IMAP when mailboxProtocols turns to unchanged, and POP is not touched without POP.AccessAsApp' {
            $tenantPath = New-Tenant -Options @{ CasSettings = @{ 'fax@contoso.com' = @{ imapEnabled = $false; popEnabled = $false } } }
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $first.ExitCode | Should -Be 0 -Because $first.Stderr
            (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['fax@contoso.com'].popEnabled | Should -BeFalse
            $second = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Extra @{ UCX_EXCHANGE_MAILBOX_PROTOCOLS = 'unchanged' }) -PreviousStdout $first.Stdout
            $second.ExitCode | Should -Be 0 -Because $second.Stderr
            (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['fax@contoso.com'].imapEnabled | Should -BeFalse
            $second.Report.previous.imapEnabled.Count | Should -Be 0
        }
        It 'restores IMAP on revoke, when the mailbox leaves the configuration' {
            $tenantPath = New-Tenant -Options @{ CasSettings = @{ 'notify@contoso.com' = @{ imapEnabled = $false } } }
            $first = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Mailboxes @('fax@contoso.com', 'notify@contoso.com'))
            (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['notify@contoso.com'].imapEnabled | Should -BeTrue
            $revoke = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $first.Stdout
            $revoke.ExitCode | Should -Be 0 -Because $revoke.Stderr
            (Get-FakeExchangeTenant -Path $tenantPath).mailboxes['notify@contoso.com'].imapEnabled | Should -BeFalse
        }
    }

    Context '"Micro delay applied"' {
        It 'is logged as a warning and the run goes on without a retry' {
            $tenantPath = New-Tenant -Options @{ MicroDelayEvery = 2 }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $run.Stderr | Should -Match 'Micro delay applied'
            $run.Stderr | Should -Not -Match 'retry \d+ in'
        }
    }

    Context 'token lifetime' {
        It 'accessToken: refuses up front a token that expires before the wait could end, naming both numbers' {
            $exp = [DateTimeOffset]::UtcNow.AddMinutes(8).ToUnixTimeSeconds()
            $payload = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("{""exp"":$exp}")).TrimEnd('=').Replace('+', '-').Replace('/', '_')
            $token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.$payload.sig"
            $tenantPath = New-Tenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Extra @{ UCX_EXCHANGE_AUTH = 'accessToken'; EXO_ACCESS_TOKEN = $token })
            $run.ExitCode | Should -Be 2
            $run.Stderr | Should -Match 'EXO_ACCESS_TOKEN expires in [78] minute\(s\), but the Exchange steps may wait up to 10 minute\(s\)'
            $run.Stderr | Should -Not -Match ([regex]::Escape($payload))
            @((Get-FakeExchangeTenant -Path $tenantPath).connects).Count | Should -Be 0
        }
        It 'clientSecret: reconnects with a fresh token before the first one expires during a long wait' {
            $automation = '3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b'
            $issued = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.short-lived.sig'
            $info = [System.Diagnostics.ProcessStartInfo]::new('node')
            $info.ArgumentList.Add((Join-Path $PSScriptRoot 'fake/token-endpoint.mjs'))
            $info.RedirectStandardOutput = $true
            $info.UseShellExecute = $false
            foreach ($pair in @(@('TOKEN_TENANT', 'contoso.onmicrosoft.com'), @('TOKEN_CLIENT_ID', $automation), @('TOKEN_CLIENT_SECRET', 'cs-secret'), @('TOKEN_VALUE', $issued), @('TOKEN_EXPIRES_IN', '330'))) { $info.Environment[$pair[0]] = $pair[1] }
            $endpoint = [System.Diagnostics.Process]::Start($info)
            try {
                $authority = 'http://127.0.0.1:' + $endpoint.StandardOutput.ReadLine().Trim()
                # 30 s before renewal is due: the propagation waits (2+4+8+16 s) cross it.
                $tenantPath = New-Tenant -Options @{ PropagationCalls = 6 } -Expected @{ accessToken = $issued }
                $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-RunEnvironment -Extra @{
                        UCX_EXCHANGE_AUTH = 'clientSecret'; UCX_EXCHANGE_AUTOMATION_APP_ID = $automation; UCX_EXCHANGE_CLIENT_SECRET = 'cs-secret'; UCX_EXCHANGE_TEST_AUTHORITY = $authority
                    })
                $run.ExitCode | Should -Be 0 -Because $run.Stderr
                $run.Stderr | Should -Match 'reconnecting with a fresh one'
                # Each token is good for 30 s here, so every wait that crosses that reconnects; never a cmdlet on a stale token.
                $connects = @((Get-FakeExchangeTenant -Path $tenantPath).connects)
                $connects.Count | Should -BeGreaterThan 1
                $connects | ForEach-Object { $_.AccessToken | Should -Be '<AccessToken>' }
                @($run.Stderr -split "`n" | Where-Object { $_ -match 'reconnecting with a fresh one' }).Count | Should -Be ($connects.Count - 1)
                $run.Stderr | Should -Not -Match 'cs-secret'
            } finally { if (-not $endpoint.HasExited) { $endpoint.Kill() } }
        }
    }

    Context 'a read by identity that does not answer exactly one object' {
        It 'stops with a clear message instead of taking the wrong object' {
            $tenantPath = New-Tenant
            Enter-FakeExchangeSession -TenantPath $tenantPath
            try {
                # As Microsoft warns for a $null or unknown -Identity: every object comes back.
                Mock -ModuleName UcxMailExchange Get-CASMailbox {
                    [pscustomobject]@{ Identity = 'fax@contoso.com'; SmtpClientAuthenticationDisabled = $null; ImapEnabled = $true; PopEnabled = $true }
                    [pscustomobject]@{ Identity = 'notify@contoso.com'; SmtpClientAuthenticationDisabled = $true; ImapEnabled = $true; PopEnabled = $true }
                }
                { Sync-UcxExchangeAccess -AppId $AppId -ServicePrincipalObjectId $ObjectId -ServicePrincipalName 'UCXSuiteMail' -Mailboxes @('fax@contoso.com') -SmtpAuth mailbox 2>$null } |
                    Should -Throw "*Get-CASMailbox -Identity 'fax@contoso.com' answered 2 objects instead of one*"
                @((Get-FakeExchangeTenant -Path $tenantPath).writes | Where-Object cmdlet -NE 'New-ServicePrincipal') | Should -BeNullOrEmpty
            } finally { Exit-FakeExchangeSession }
        }
    }

    Context 'the state of an earlier version (schema v1)' {
        It 'is still read: delete restores what a v1 run recorded' {
            $tenantPath = New-Tenant -Options @{ ServicePrincipals = @(@{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' }); Permissions = @{ 'fax@contoso.com' = @($ObjectId) } }
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled = $false
            Set-Content -LiteralPath $tenantPath -Value ($tenant | ConvertTo-Json -Depth 20)
            $v1 = @{ schema = 'ucx-mail/exchange/v1'; operation = 'apply'; appId = $AppId; servicePrincipalObjectId = $ObjectId; servicePrincipalName = 'UCXSuiteMail'; smtpAuth = 'mailbox'; mailboxes = @('fax@contoso.com')
                previous = @{ servicePrincipal = @{ present = $false; displayName = $null }; mailboxes = @{ 'fax@contoso.com' = @{ fullAccess = $false; smtpClientAuthenticationDisabled = $null } } } } | ConvertTo-Json -Depth 6 -Compress
            $delete = Invoke-UcxExchangeEntry -Operation remove -TenantPath $tenantPath -Environment (New-RunEnvironment) -PreviousStdout $v1
            $delete.ExitCode | Should -Be 0 -Because $delete.Stderr
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.mailboxes['fax@contoso.com'].permissions.Count | Should -Be 0
            $tenant.mailboxes['fax@contoso.com'].smtpClientAuthenticationDisabled | Should -BeNullOrEmpty
            $tenant.servicePrincipals.Count | Should -Be 0
        }
    }
}
