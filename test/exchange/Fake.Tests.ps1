# The fake ExchangeOnlineManagement itself: the behaviours other suites (and the doctor) rely on, each as the real
# service shows it (sources are named next to each behaviour in the fake).
BeforeAll {
    # Start from a fresh session, as each test here describes one: an earlier suite in this process may have left a
    # fake Exchange session behind, and the runner's 'Stop' reaches modules through the global preference.
    Remove-Module tmpEXO_fake, ExchangeOnlineManagement -ErrorAction SilentlyContinue
    # A session imported -Global from inside another module can outlive both modules' removal: drop its cmdlets too.
    Get-ChildItem -Path function: | Where-Object { $_.ModuleName -eq 'tmpEXO_fake' } | ForEach-Object { Remove-Item -LiteralPath "function:$($_.Name)" -Force -ErrorAction SilentlyContinue }
    $script:SavedGlobalErrorAction = $global:ErrorActionPreference
    $global:ErrorActionPreference = 'Continue'
    Import-Module (Join-Path $PSScriptRoot 'fake/FakeExchangeTenant.psm1') -Force
    $script:AppId = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'
    $script:ObjectId = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
    $script:ManagedIdentityAccountId = '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e'

    function Use-FakeSession([hashtable] $Options = @{}, [hashtable] $Connect = @{}) {
        $path = Join-Path $TestDrive ("tenant-{0}.json" -f [guid]::NewGuid())
        New-FakeExchangeTenant -Path $path -Mailboxes @{ 'fax@contoso.com' = $null; 'deskless@contoso.com' = $true } -Expected @{ managedIdentity = $true } @Options | Out-Null
        $env:UCX_FAKE_EXO_STATE = $path
        Import-Module (Join-Path $PSScriptRoot 'fake/ExchangeOnlineManagement/ExchangeOnlineManagement.psm1') -Force
        Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false @Connect
        $path
    }
}

AfterAll { $global:ErrorActionPreference = $script:SavedGlobalErrorAction }

Describe 'fake ExchangeOnlineManagement' {
    AfterEach {
        if ($env:UCX_FAKE_EXO_STATE -and (Get-Command Disconnect-ExchangeOnline -ErrorAction SilentlyContinue)) { Disconnect-ExchangeOnline -Confirm:$false 6>$null }
        Remove-Module ExchangeOnlineManagement -ErrorAction SilentlyContinue
        Remove-Item Env:UCX_FAKE_EXO_STATE -ErrorAction SilentlyContinue
    }

    It 'has no Exchange cmdlet before Connect-ExchangeOnline' {
        Import-Module (Join-Path $PSScriptRoot 'fake/ExchangeOnlineManagement/ExchangeOnlineManagement.psm1') -Force
        Get-Command Get-CASMailbox -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
    It 'imports only the -CommandName cmdlets; any other is "not recognized"' {
        Use-FakeSession -Connect @{ CommandName = @('Get-CASMailbox'); SkipLoadingFormatData = $true } | Out-Null
        Get-Command Get-CASMailbox | Should -Not -BeNullOrEmpty
        { New-ServicePrincipal -AppId $AppId -ObjectId $ObjectId } | Should -Throw "The term 'New-ServicePrincipal' is not recognized*"
    }
    It 'never imports a cmdlet the identity''s roles withhold, even when named' {
        Use-FakeSession -Options @{ MissingCmdlets = @('New-ServicePrincipal') } -Connect @{ CommandName = @('New-ServicePrincipal', 'Get-ServicePrincipal') } | Out-Null
        Get-Command New-ServicePrincipal -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Command Get-ServicePrincipal | Should -Not -BeNullOrEmpty
    }
    It 'records -ManagedIdentityAccountId and refuses a user-assigned identity without it' {
        $path = Join-Path $TestDrive 'uami.json'
        New-FakeExchangeTenant -Path $path -Mailboxes @{ 'fax@contoso.com' = $null } -Expected @{ managedIdentity = $true; managedIdentityAccountId = $ManagedIdentityAccountId } | Out-Null
        $env:UCX_FAKE_EXO_STATE = $path
        Import-Module (Join-Path $PSScriptRoot 'fake/ExchangeOnlineManagement/ExchangeOnlineManagement.psm1') -Force
        { Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false } | Should -Throw '*no managed identity*'
        Connect-ExchangeOnline -ManagedIdentity -ManagedIdentityAccountId $ManagedIdentityAccountId -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false
        (Get-FakeExchangeTenant -Path $path).connects[-1].ManagedIdentityAccountId | Should -Be $ManagedIdentityAccountId
    }
    It 'refuses a national tenant without its -ExchangeEnvironmentName (AADSTS900382), and connects with it' {
        $path = Join-Path $TestDrive 'dod.json'
        New-FakeExchangeTenant -Path $path -Organization 'contoso.onmicrosoft.us' -ExchangeEnvironment 'O365USGovDoD' -Mailboxes @{ 'fax@contoso.us' = $null } -Expected @{ managedIdentity = $true } | Out-Null
        $env:UCX_FAKE_EXO_STATE = $path
        Import-Module (Join-Path $PSScriptRoot 'fake/ExchangeOnlineManagement/ExchangeOnlineManagement.psm1') -Force
        { Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.us' -ShowBanner:$false } | Should -Throw '*AADSTS900382*Cross Cloud*'
        Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.us' -ExchangeEnvironmentName 'O365USGovDoD' -ShowBanner:$false
        (Get-FakeExchangeTenant -Path $path).connects[-1].ExchangeEnvironmentName | Should -Be 'O365USGovDoD'
    }
    It 'shows ImapEnabled and PopEnabled $true by default and $false where the CAS mailbox plan disabled them' {
        Use-FakeSession -Options @{ CasSettings = @{ 'deskless@contoso.com' = @{ imapEnabled = $false; popEnabled = $false } } } | Out-Null
        $fax = Get-CASMailbox -Identity 'fax@contoso.com'
        $fax.ImapEnabled | Should -BeTrue
        $fax.PopEnabled | Should -BeTrue
        (Get-CASMailbox -Identity 'deskless@contoso.com').ImapEnabled | Should -BeFalse
        Set-CASMailbox -Identity 'deskless@contoso.com' -ImapEnabled $true
        (Get-CASMailbox -Identity 'deskless@contoso.com').ImapEnabled | Should -BeTrue
    }
    It 'returns every CAS mailbox for an empty -Identity' {
        Use-FakeSession | Out-Null
        @(Get-CASMailbox -Identity $null).Count | Should -Be 2
    }
    It 'reads the organization SmtpClientAuthenticationDisabled from Get-TransportConfig' {
        Use-FakeSession -Options @{ OrganizationSmtpDisabled = $false } | Out-Null
        (Get-TransportConfig).SmtpClientAuthenticationDisabled | Should -BeFalse
    }
    It 'lists a service principal''s grant in the User column as <_>' -ForEach @('DisplayName', 'ObjectId', 'AppId') {
        $form = $_
        $principal = @{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' }
        Use-FakeSession -Options @{ ServicePrincipals = @($principal); Permissions = @{ 'fax@contoso.com' = @($ObjectId) }; PermissionUserForm = $form } | Out-Null
        $users = @(Get-MailboxPermission -Identity 'fax@contoso.com' | ForEach-Object { $_.User })
        $users | Should -Contain $principal[$form]
    }
    It 'answers AADServicePrincipalNotFound while Entra lags, and for an id that is no enterprise application' {
        $path = Use-FakeSession -Options @{ EntraLagCalls = 1; EntraServicePrincipals = @(@{ AppId = $AppId; ObjectId = $ObjectId }) }
        { New-ServicePrincipal -AppId $AppId -ObjectId $ObjectId -ErrorAction Stop } | Should -Throw "*|AADServicePrincipalNotFound. No ServicePrincipal with Object Id '$ObjectId'*"
        { New-ServicePrincipal -AppId $AppId -ObjectId '11111111-2222-4333-8444-555555555555' -ErrorAction Stop } | Should -Throw '*|AADServicePrincipalNotFound*'
        New-ServicePrincipal -AppId $AppId -ObjectId $ObjectId | Out-Null
        (Get-FakeExchangeTenant -Path $path).servicePrincipals.Count | Should -Be 1
    }
    It 'warns "Micro delay applied" and still runs the cmdlet' {
        Use-FakeSession -Options @{ MicroDelayEvery = 1 } | Out-Null
        $result = Get-CASMailbox -Identity 'fax@contoso.com' -WarningVariable delays -WarningAction SilentlyContinue
        $result.Identity | Should -Be 'fax@contoso.com'
        [string]$delays[0] | Should -Match 'Micro delay applied'
    }
    It 'reports a service error as a non-terminating REST-form error (Ex code, exception type, text), so a caller without -ErrorAction runs on' {
        Use-FakeSession | Out-Null
        $after = & {
            $ErrorActionPreference = 'Continue'
            Get-CASMailbox -Identity 'nobody@contoso.com' -ErrorVariable failure 2>$null
            'ran on'
            [string]$failure[0]
        }
        $after[0] | Should -Be 'ran on'
        $after[1] | Should -Match '^Ex[0-9A-F]{6}\|Microsoft\.Exchange\.Configuration\.Tasks\.ManagementObjectNotFoundException\|The operation couldn''t be performed because object ''nobody@contoso.com'' couldn''t be found on '
    }
    It 'honours -ErrorAction Stop and the global preference, but not a script''s own preference' {
        Use-FakeSession | Out-Null
        { Get-CASMailbox -Identity 'nobody@contoso.com' -ErrorAction Stop } | Should -Throw '*ManagementObjectNotFoundException*'
        # A script's own $ErrorActionPreference does not reach a module's cmdlets (PowerShell/PowerShell#4568).
        $scriptOwn = & { $ErrorActionPreference = 'Stop'; try { Get-CASMailbox -Identity 'nobody@contoso.com' 2>$null; 'ran on' } catch { 'stopped' } }
        $scriptOwn | Should -Be 'ran on'
        $saved = $global:ErrorActionPreference
        try {
            $global:ErrorActionPreference = 'Stop'
            { Get-CASMailbox -Identity 'nobody@contoso.com' } | Should -Throw '*ManagementObjectNotFoundException*'
        } finally { $global:ErrorActionPreference = $saved }
    }
    It 'fails the n-th write once, before it applies anything, when a fault is injected' {
        $principal = @{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' }
        $path = Use-FakeSession -Options @{ ServicePrincipals = @($principal); FailWriteAt = 2 }
        Set-CASMailbox -Identity 'fax@contoso.com' -ImapEnabled $false -ErrorAction Stop
        { Add-MailboxPermission -Identity 'fax@contoso.com' -User $ObjectId -AccessRights FullAccess -ErrorAction Stop } | Should -Throw '*|Add-MailboxPermission failed: injected fault*'
        $tenant = Get-FakeExchangeTenant -Path $path
        @($tenant.mailboxes['fax@contoso.com'].permissions).Count | Should -Be 0
        @($tenant.faults) | Should -Be @('Add-MailboxPermission')
        Add-MailboxPermission -Identity 'fax@contoso.com' -User $ObjectId -AccessRights FullAccess -ErrorAction Stop | Out-Null
        @((Get-FakeExchangeTenant -Path $path).mailboxes['fax@contoso.com'].permissions).Count | Should -Be 1
    }
    It 'only warns when Remove-MailboxPermission finds no such entry' {
        $principal = @{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' }
        Use-FakeSession -Options @{ ServicePrincipals = @($principal) } | Out-Null
        Remove-MailboxPermission -Identity 'fax@contoso.com' -User $ObjectId -AccessRights FullAccess -Confirm:$false -WarningVariable missing -WarningAction SilentlyContinue
        [string]$missing[0] | Should -Match "because the ACE doesn't exist on the object"
    }
}

Describe 'fake cmdlets take only parameters that Microsoft''s cmdlet reference lists' {
    BeforeAll {
        # Syntax sections of learn.microsoft.com/powershell/module/exchange/<cmdlet> (Exchange Online), without the
        # common parameters. A fake parameter missing here could let a wrong call pass the tests.
        $script:Reference = @{
            'Get-ServicePrincipal' = @('Identity', 'Organization')
            'New-ServicePrincipal' = @('AppId', 'ObjectId', 'ServiceId', 'Confirm', 'DisplayName', 'Organization', 'WhatIf')
            'Set-ServicePrincipal' = @('Identity', 'Confirm', 'DisplayName', 'WhatIf')
            'Remove-ServicePrincipal' = @('Identity', 'Confirm', 'WhatIf')
            'Get-MailboxPermission' = @('Identity', 'Owner', 'User', 'GroupMailbox', 'IncludeSoftDeletedUserPermissions', 'IncludeUnresolvedPermissions', 'ReadFromDomainController', 'ResultSize', 'SoftDeletedMailbox', 'UseCustomRouting')
            'Add-MailboxPermission' = @('Identity', 'AccessRights', 'User', 'Owner', 'AutoMapping', 'Confirm', 'Deny', 'GroupMailbox', 'IgnoreDefaultScope', 'InheritanceType', 'WhatIf')
            'Remove-MailboxPermission' = @('Identity', 'AccessRights', 'User', 'ResetDefault', 'Owner', 'BypassMasterAccountSid', 'Confirm', 'Deny', 'GroupMailbox', 'IgnoreDefaultScope', 'InheritanceType', 'SoftDeletedMailbox', 'WhatIf')
            'Get-CASMailbox' = @('Identity', 'Anr', 'ActiveSyncDebugLogging', 'ActiveSyncSuppressReadReceipt', 'Filter', 'GetImapProtocolLog', 'GetPopProtocolLog', 'IgnoreDefaultScope', 'OrganizationalUnit', 'ProtocolSettings', 'ReadIsOptimizedForAccessibility', 'RecalculateHasActiveSyncDevicePartnership', 'ResultSize', 'SendLogsTo', 'SortBy')
            'Set-CASMailbox' = @('Identity', 'ActiveSyncAllowedDeviceIDs', 'ActiveSyncBlockedDeviceIDs', 'ActiveSyncDebugLogging', 'ActiveSyncEnabled', 'ActiveSyncMailboxPolicy', 'ActiveSyncSuppressReadReceipt', 'Confirm', 'DisplayName', 'EmailAddresses', 'EwsAllowEntourage', 'EwsAllowList', 'EwsAllowMacOutlook', 'EwsAllowOutlook', 'EwsApplicationAccessPolicy', 'EwsBlockList', 'EwsEnabled', 'ImapEnabled', 'ImapEnableExactRFC822Size', 'ImapForceICalForCalendarRetrievalOption', 'ImapMessagesRetrievalMimeFormat', 'ImapSuppressReadReceipt', 'ImapUseProtocolDefaults', 'MacOutlookEnabled', 'MAPIEnabled', 'Name', 'OneWinNativeOutlookEnabled', 'OutlookMobileEnabled', 'OWAEnabled', 'OWAforDevicesEnabled', 'OwaMailboxPolicy', 'PopEnabled', 'PopEnableExactRFC822Size', 'PopForceICalForCalendarRetrievalOption', 'PopMessagesRetrievalMimeFormat', 'PopSuppressReadReceipt', 'PopUseProtocolDefaults', 'PrimarySmtpAddress', 'ResetAutoBlockedDevices', 'SamAccountName', 'ShowGalAsDefaultView', 'SmtpClientAuthenticationDisabled', 'UniversalOutlookEnabled', 'WhatIf')
            'Get-TransportConfig' = @('Identity')
            'Set-TransportConfig' = @('Identity', 'Confirm', 'SmtpClientAuthenticationDisabled', 'WhatIf')
        }
        $env:UCX_FAKE_EXO_STATE = New-FakeExchangeTenant -Path (Join-Path $TestDrive 'reference.json') -Expected @{ managedIdentity = $true }
        Import-Module (Join-Path $PSScriptRoot 'fake/ExchangeOnlineManagement/ExchangeOnlineManagement.psm1') -Force
        Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false
        $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    }
    AfterAll {
        Disconnect-ExchangeOnline -Confirm:$false 6>$null
        Remove-Module ExchangeOnlineManagement -ErrorAction SilentlyContinue
        Remove-Item Env:UCX_FAKE_EXO_STATE -ErrorAction SilentlyContinue
    }
    It '<_> declares no parameter the reference does not list' -ForEach @(
        'Get-ServicePrincipal', 'New-ServicePrincipal', 'Set-ServicePrincipal', 'Remove-ServicePrincipal', 'Get-MailboxPermission',
        'Add-MailboxPermission', 'Remove-MailboxPermission', 'Get-CASMailbox', 'Set-CASMailbox', 'Get-TransportConfig', 'Set-TransportConfig') {
        $cmdlet = $_
        $declared = @((Get-Command -Name $cmdlet).Parameters.Keys | Where-Object { $script:Common -notcontains $_ })
        @($declared | Where-Object { $script:Reference[$cmdlet] -notcontains $_ }) | Should -BeNullOrEmpty -Because "the reference for $cmdlet lists $($script:Reference[$cmdlet] -join ', ')"
    }
}
