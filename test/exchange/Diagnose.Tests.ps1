# The doctor's read-only Exchange diagnosis (parts/Diagnose.ps1) against the fake ExchangeOnlineManagement module:
# every state the doctor must tell apart, read without a single write, and its entry script end to end.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'fake/FakeExchangeTenant.psm1') -Force
    $script:AppId = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'
    $script:ObjectId = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
    $script:AppRegistrationObjectId = '11111111-2222-4333-8444-555555555555'
    $script:AccessToken = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.doctor-diagnosis-token.sig'
    $script:Mailbox = 'fax@contoso.com'
    $script:DoctorEntry = Join-Path $PSScriptRoot '../../components/exchange/Invoke-UcxMailDoctor.ps1'

    function New-DiagnosisTenant([hashtable] $Options = @{}) {
        $path = Join-Path $TestDrive ("tenant-{0}.json" -f [guid]::NewGuid())
        $parameters = @{
            Path = $path; Mailboxes = @{ $Mailbox = $null }; OrganizationSmtpDisabled = $false
            ServicePrincipals = @(@{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' })
            Permissions = @{ $Mailbox = @($ObjectId) }; Expected = @{ accessToken = $AccessToken }
        }
        foreach ($key in $Options.Keys) { $parameters[$key] = $Options[$key] }
        New-FakeExchangeTenant @parameters
    }

    # Runs Get-UcxExchangeDiagnosis in this process, connected to the fake; returns the report and the tenant after.
    function Invoke-Diagnosis([string] $TenantPath, [string[]] $Mailboxes = @($Mailbox)) {
        $env:UCX_FAKE_EXO_STATE = $TenantPath
        try {
            Import-Module (Join-Path $PSScriptRoot 'fake/ExchangeOnlineManagement/ExchangeOnlineManagement.psm1') -Force
            Import-Module (Join-Path $PSScriptRoot '../../components/exchange/UcxMailExchange.psd1') -ArgumentList 'readOnly' -Force
            Reset-UcxRetryBudget -MaxWaitMinutes 1 -TimeScale 0.001
            # The same -CommandName as the doctor's connection: only the four reads exist in the session.
            Connect-ExchangeOnline -AccessToken $AccessToken -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false `
                -CommandName @('Get-ServicePrincipal', 'Get-MailboxPermission', 'Get-CASMailbox', 'Get-TransportConfig') -SkipLoadingFormatData
            $report = Get-UcxExchangeDiagnosis -AppId $AppId -Mailboxes $Mailboxes
            [pscustomobject]@{ Report = $report; Tenant = Get-FakeExchangeTenant -Path $TenantPath }
        } finally {
            Disconnect-ExchangeOnline -Confirm:$false 6>$null
            Remove-Module ExchangeOnlineManagement, UcxMailExchange -ErrorAction SilentlyContinue
            # The fake imports a session's cmdlets globally, and removing its module leaves those functions behind;
            # later suites in this process must start with no Exchange cmdlet, as before any real connection.
            Get-Command -CommandType Function | Where-Object { $_.ModuleName -eq 'tmpEXO_fake' } |
                ForEach-Object { Remove-Item -LiteralPath "Function:\$($_.Name)" }
            Remove-Item Env:UCX_FAKE_EXO_STATE
        }
    }

    function Set-TenantValue([string] $TenantPath, [scriptblock] $Change) {
        $tenant = Get-FakeExchangeTenant -Path $TenantPath
        & $Change $tenant
        Set-Content -LiteralPath $TenantPath -Value ($tenant | ConvertTo-Json -Depth 20) -Encoding utf8
    }
}

Describe 'Get-UcxExchangeDiagnosis (read-only, vendor troubleshooting steps 4-6)' {
    It 'loads with the read-only parts alone: no function that writes exists' {
        Import-Module (Join-Path $PSScriptRoot '../../components/exchange/UcxMailExchange.psd1') -ArgumentList 'readOnly' -Force
        try {
            Get-Command -Module UcxMailExchange -Name 'Get-UcxExchangeDiagnosis' | Should -Not -BeNullOrEmpty
            Get-Command -Module UcxMailExchange -Name 'Sync-UcxExchangeAccess' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        } finally { Remove-Module UcxMailExchange }
    }

    Context 'present and in the desired state' {
        It 'finds the principal with its object id, the grant, and SMTP AUTH following the organization, writing nothing' {
            $result = Invoke-Diagnosis (New-DiagnosisTenant)
            $result.Report.principal.found | Should -BeTrue
            $result.Report.principal.objectId | Should -Be $ObjectId
            $result.Report.mailboxes[0].fullAccess | Should -BeTrue
            $result.Report.mailboxes[0].fullAccessDenied | Should -BeFalse
            $result.Report.mailboxes[0].smtpClientAuthenticationDisabled | Should -BeNullOrEmpty
            $result.Report.organization.smtpClientAuthenticationDisabled | Should -BeFalse
            @($result.Tenant.writes).Count | Should -Be 0
        }
    }

    Context 'absent and should be present' {
        It 'principal missing: found is false and no grant can match' {
            $result = Invoke-Diagnosis (New-DiagnosisTenant @{ ServicePrincipals = @(); Permissions = @{} })
            $result.Report.principal.found | Should -BeFalse
            $result.Report.mailboxes[0].fullAccess | Should -BeFalse
            @($result.Tenant.writes).Count | Should -Be 0
        }
        It 'principal with the wrong id (the app registration''s): reported as found with that id, for the doctor to compare' {
            $result = Invoke-Diagnosis (New-DiagnosisTenant @{
                    ServicePrincipals = @(@{ AppId = $AppId; ObjectId = $AppRegistrationObjectId; DisplayName = 'Made by hand' })
                    Permissions = @{ $Mailbox = @($AppRegistrationObjectId) }
                })
            $result.Report.principal.objectId | Should -Be $AppRegistrationObjectId
            $result.Report.principal.displayName | Should -Be 'Made by hand'
            @($result.Tenant.writes).Count | Should -Be 0
        }
        It 'grant missing: fullAccess false, and the User column listed for the message' {
            $result = Invoke-Diagnosis (New-DiagnosisTenant @{ Permissions = @{} })
            $result.Report.mailboxes[0].fullAccess | Should -BeFalse
            $result.Report.mailboxes[0].users | Should -Contain 'NT AUTHORITY\SELF'
        }
        It 'a Deny FullAccess entry for the principal is reported as denied, never as granted' {
            $path = New-DiagnosisTenant
            Set-TenantValue $path { param($tenant) $tenant.mailboxes[$Mailbox].permissions[0].Deny = $true }
            $result = Invoke-Diagnosis $path
            $result.Report.mailboxes[0].fullAccess | Should -BeFalse
            $result.Report.mailboxes[0].fullAccessDenied | Should -BeTrue
        }
        It 'a mailbox Exchange does not know is reported as missing, not as an error' {
            $result = Invoke-Diagnosis (New-DiagnosisTenant) @($Mailbox, 'nobody@contoso.com')
            $result.Report.mailboxes[1].exists | Should -BeFalse
        }
    }

    Context 'SMTP AUTH at both levels' {
        It 'off at the mailbox while on for the organization' {
            $result = Invoke-Diagnosis (New-DiagnosisTenant @{ Mailboxes = @{ $Mailbox = $true }; OrganizationSmtpDisabled = $false })
            $result.Report.mailboxes[0].smtpClientAuthenticationDisabled | Should -BeTrue
            $result.Report.organization.smtpClientAuthenticationDisabled | Should -BeFalse
        }
        It 'on at the mailbox while off for the organization' {
            $result = Invoke-Diagnosis (New-DiagnosisTenant @{ Mailboxes = @{ $Mailbox = $false }; OrganizationSmtpDisabled = $true })
            $result.Report.mailboxes[0].smtpClientAuthenticationDisabled | Should -BeFalse
            $result.Report.organization.smtpClientAuthenticationDisabled | Should -BeTrue
        }
    }
}

Describe 'Get-UcxExchangeDiagnosis with the fake''s undocumented variants' {
    It 'IMAP off on the mailbox (a CAS mailbox plan): imapEnabled false, POP read too' {
        $result = Invoke-Diagnosis (New-DiagnosisTenant @{ CasSettings = @{ $Mailbox = @{ imapEnabled = $false; popEnabled = $false } } })
        $result.Report.mailboxes[0].imapEnabled | Should -BeFalse
        $result.Report.mailboxes[0].popEnabled | Should -BeFalse
        @($result.Tenant.writes).Count | Should -Be 0
    }
    It 'IMAP left at the default reads as enabled' {
        $result = Invoke-Diagnosis (New-DiagnosisTenant)
        $result.Report.mailboxes[0].imapEnabled | Should -BeTrue
    }
    # How the User column shows a service principal is undocumented: every plausible form must match, and a grant to
    # another principal in the same form must not.
    It 'matches the grant when the User column shows the principal by <Form>' -ForEach @(
        @{ Form = 'DisplayName' }, @{ Form = 'ObjectId' }, @{ Form = 'AppId' }
    ) {
        $granted = Invoke-Diagnosis (New-DiagnosisTenant @{ PermissionUserForm = $Form })
        $granted.Report.mailboxes[0].fullAccess | Should -BeTrue -Because "User column by $Form"
        $otherAppId = '99999999-8888-4777-8666-555555555555'
        $otherObjectId = '44444444-3333-4222-8111-000000000000'
        $other = Invoke-Diagnosis (New-DiagnosisTenant @{
                PermissionUserForm = $Form
                ServicePrincipals = @(@{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' }, @{ AppId = $otherAppId; ObjectId = $otherObjectId; DisplayName = 'Other app' })
                Permissions = @{ $Mailbox = @($otherObjectId) }
            })
        $other.Report.mailboxes[0].fullAccess | Should -BeFalse -Because "another principal's grant, shown by $Form"
    }
}

Describe 'Invoke-UcxMailDoctor.ps1 (the doctor''s entry script) against the fake' {
    BeforeAll {
        function Invoke-DoctorEntry([string] $TenantPath, [hashtable] $Extra = @{}) {
            $variables = @{
                UCX_FAKE_EXO_STATE = $TenantPath; UCX_EXCHANGE_AUTH = 'accessToken'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.com'
                UCX_EXCHANGE_APP_ID = $AppId; UCX_EXCHANGE_MAILBOXES = "[`"$Mailbox`"]"; EXO_ACCESS_TOKEN = $AccessToken
            }
            foreach ($key in $Extra.Keys) { $variables[$key] = $Extra[$key] }
            $commandLine = @(Get-PwshCommandLine) + @('-NoProfile', '-NonInteractive', '-File', $DoctorEntry)
            $run = Invoke-ProcessCapture -CommandLine $commandLine -Environment $variables
            $lines = @($run.Stdout -split "`r?`n" | Where-Object { $_.Trim() })
            [pscustomobject]@{ ExitCode = $run.ExitCode; Stdout = $run.Stdout; Stderr = $run.Stderr; Lines = $lines.Count; Report = $(if ($lines.Count -eq 1) { $lines[0] | ConvertFrom-Json -AsHashtable } else { $null }) }
        }
    }

    It 'connects once with -CommandName naming only the four Get-* cmdlets, prints one JSON line, writes nothing, shows no secret' {
        $path = New-DiagnosisTenant
        $run = Invoke-DoctorEntry $path
        $run.ExitCode | Should -Be 0 -Because $run.Stderr
        $run.Lines | Should -Be 1
        $run.Report.schema | Should -Be 'ucx-mail/doctor-exchange/v1'
        $run.Report.principal.objectId | Should -Be $ObjectId
        $tenant = Get-FakeExchangeTenant -Path $path
        @($tenant.connects).Count | Should -Be 1
        @($tenant.connects[0].CommandName | Sort-Object) | Should -Be @('Get-CASMailbox', 'Get-MailboxPermission', 'Get-ServicePrincipal', 'Get-TransportConfig')
        $tenant.connects[0].SkipLoadingFormatData | Should -BeTrue
        @($tenant.writes).Count | Should -Be 0
        $tenant.disconnects | Should -Be 1
        $run.Stdout + $run.Stderr | Should -Not -BeLike "*$AccessToken*"
    }
    It 'a read cmdlet the identity''s roles withhold: one failure line at stage cmdlet, naming it' {
        $run = Invoke-DoctorEntry (New-DiagnosisTenant @{ MissingCmdlets = @('Get-MailboxPermission') })
        $run.ExitCode | Should -Be 1
        $run.Report.failure.stage | Should -Be 'cmdlet'
        $run.Report.failure.message | Should -Match 'Get-MailboxPermission'
    }
    It 'a refused token: stage connect, and the token is not printed' {
        $run = Invoke-DoctorEntry (New-DiagnosisTenant) @{ EXO_ACCESS_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.some-other-token.sig' }
        $run.ExitCode | Should -Be 1
        $run.Report.failure.stage | Should -Be 'connect'
        $run.Stdout + $run.Stderr | Should -Not -BeLike '*some-other-token*'
    }
    It 'bad input names the variable and its flag, before any connection' {
        $path = New-DiagnosisTenant
        $run = Invoke-DoctorEntry $path @{ UCX_EXCHANGE_APP_ID = 'not-a-guid'; UCX_EXCHANGE_AUTH = 'interactve' }
        $run.Report.failure.stage | Should -Be 'input'
        $run.Report.failure.message | Should -Match 'UCX_EXCHANGE_APP_ID .*\(--client-id\)'
        $run.Report.failure.message | Should -Match 'UCX_EXCHANGE_AUTH must be certificate, clientSecret, accessToken, managedIdentity or interactive \(--exchange\)'
        @((Get-FakeExchangeTenant -Path $path).connects).Count | Should -Be 0
    }
    It 'reads only what the diagnosis needs: the steps'' own settings (principal, SMTP AUTH scope, wait) are neither needed nor checked' {
        $run = Invoke-DoctorEntry (New-DiagnosisTenant) @{ UCX_EXCHANGE_SMTP_AUTH = 'everything'; UCX_EXCHANGE_MAX_WAIT_MINUTES = '999' }
        $run.ExitCode | Should -Be 0 -Because $run.Stderr
    }
    It 'passes -ExchangeEnvironmentName for a national cloud, from the same UCX_EXCHANGE_CLOUD as the Exchange steps' {
        $path = New-DiagnosisTenant @{ Organization = 'contoso.onmicrosoft.us'; ExchangeEnvironment = 'O365USGovDoD' }
        $run = Invoke-DoctorEntry $path @{ UCX_EXCHANGE_CLOUD = 'dod'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.us' }
        $run.ExitCode | Should -Be 0 -Because $run.Stderr
        (Get-FakeExchangeTenant -Path $path).connects[0].ExchangeEnvironmentName | Should -Be 'O365USGovDoD'
    }
    It 'refuses a DoD tenant asked for in the commercial cloud as bad input naming --cloud, as the steps refuse it, before any connection' {
        $path = New-DiagnosisTenant @{ Organization = 'contoso.onmicrosoft.us'; ExchangeEnvironment = 'O365USGovDoD' }
        $run = Invoke-DoctorEntry $path @{ UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.us' }
        $run.Report.failure.stage | Should -Be 'input'
        $run.Report.failure.message | Should -Match 'UCX_EXCHANGE_ORGANIZATION .*public cloud.*\(--exchange-organization, --cloud\)'
        @((Get-FakeExchangeTenant -Path $path).connects).Count | Should -Be 0
    }
}
