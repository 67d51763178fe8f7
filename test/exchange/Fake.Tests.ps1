# The fake ExchangeOnlineManagement itself: the behaviours other suites (and the doctor) rely on, each as the real
# service shows it (sources are named next to each behaviour in the fake).
BeforeAll {
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
        { New-ServicePrincipal -AppId $AppId -ObjectId $ObjectId } | Should -Throw "AADServicePrincipalNotFound. No ServicePrincipal with Object Id '$ObjectId'*"
        { New-ServicePrincipal -AppId $AppId -ObjectId '11111111-2222-4333-8444-555555555555' } | Should -Throw 'AADServicePrincipalNotFound*'
        New-ServicePrincipal -AppId $AppId -ObjectId $ObjectId | Out-Null
        (Get-FakeExchangeTenant -Path $path).servicePrincipals.Count | Should -Be 1
    }
    It 'warns "Micro delay applied" and still runs the cmdlet' {
        Use-FakeSession -Options @{ MicroDelayEvery = 1 } | Out-Null
        $result = Get-CASMailbox -Identity 'fax@contoso.com' -WarningVariable delays -WarningAction SilentlyContinue
        $result.Identity | Should -Be 'fax@contoso.com'
        [string]$delays[0] | Should -Match 'Micro delay applied'
    }
    It 'only warns when Remove-MailboxPermission finds no such entry' {
        $principal = @{ AppId = $AppId; ObjectId = $ObjectId; DisplayName = 'UCXSuiteMail' }
        Use-FakeSession -Options @{ ServicePrincipals = @($principal) } | Out-Null
        Remove-MailboxPermission -Identity 'fax@contoso.com' -User $ObjectId -AccessRights FullAccess -Confirm:$false -WarningVariable missing -WarningAction SilentlyContinue
        [string]$missing[0] | Should -Match "because the ACE doesn't exist on the object"
    }
}
