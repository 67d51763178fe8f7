# How the entry script connects in each exchangeAuth mode, how it fails, and that no secret ever reaches its output.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'fake/FakeExchangeTenant.psm1') -Force
    $script:AutomationAppId = '3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b'
    $script:CertificatePassword = 'Pfx-Pa55-8c1f0e'
    $script:ClientSecret = 'cs~Q8s.Fake_Secret-77aa'
    $script:AccessToken = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.fake-exchange-token.sig'
    $script:IssuedToken = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.issued-by-loopback.sig'
    $script:Secrets = @($CertificatePassword, $ClientSecret, $AccessToken, $IssuedToken)

    function New-ConnectTenant([hashtable] $Options = @{}) {
        $path = Join-Path $TestDrive ("tenant-{0}.json" -f [guid]::NewGuid())
        New-FakeExchangeTenant -Path $path -Mailboxes @{ 'fax@contoso.com' = $null } -Expected @{
            appId = $AutomationAppId; certificatePassword = $CertificatePassword; accessToken = $AccessToken; managedIdentity = $true
        } @Options
    }

    function New-ConnectEnvironment([string] $Auth, [hashtable] $Extra = @{}) {
        $variables = @{
            UCX_EXCHANGE_AUTH = $Auth; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.com'
            UCX_EXCHANGE_APP_ID = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'; UCX_EXCHANGE_SP_OBJECT_ID = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
            UCX_EXCHANGE_SP_DISPLAY_NAME = 'UCXSuiteMail'; UCX_EXCHANGE_MAILBOXES = '["fax@contoso.com"]'; UCX_EXCHANGE_SMTP_AUTH = 'mailbox'
        }
        foreach ($key in $Extra.Keys) { $variables[$key] = $Extra[$key] }
        $variables
    }

    function Assert-NoSecret($Run) {
        foreach ($secret in $Secrets) {
            $Run.Stdout | Should -Not -BeLike "*$secret*"
            $Run.Stderr | Should -Not -BeLike "*$secret*"
        }
    }

    function Get-OnlyConnect([string] $TenantPath) {
        $connects = @((Get-FakeExchangeTenant -Path $TenantPath).connects)
        $connects.Count | Should -Be 1
        $connects[0]
    }

    # The loopback token endpoint for one tenant, token and scope; returns the process and its authority URL.
    function Start-TokenEndpoint([string] $Tenant, [string] $Token, [string] $Scope = 'https://outlook.office365.com/.default') {
        $info = [System.Diagnostics.ProcessStartInfo]::new('node')
        $info.ArgumentList.Add((Join-Path $PSScriptRoot 'fake/token-endpoint.mjs'))
        $info.RedirectStandardOutput = $true
        $info.UseShellExecute = $false
        $info.Environment['TOKEN_TENANT'] = $Tenant
        $info.Environment['TOKEN_CLIENT_ID'] = $AutomationAppId
        $info.Environment['TOKEN_CLIENT_SECRET'] = $ClientSecret
        $info.Environment['TOKEN_VALUE'] = $Token
        $info.Environment['TOKEN_SCOPE'] = $Scope
        $process = [System.Diagnostics.Process]::Start($info)
        @{ Process = $process; Authority = 'http://127.0.0.1:' + $process.StandardOutput.ReadLine().Trim() }
    }

    $script:CertificatePath = Join-Path $TestDrive 'automation.pfx'
    Set-Content -LiteralPath $CertificatePath -Value 'not a real certificate: the fake only checks that the file exists'
}

Describe 'Connect-ExchangeOnline per exchangeAuth' {
    Context 'certificate' {
        It 'passes -AppId -CertificateFilePath -CertificatePassword (SecureString) -Organization and no banner' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment certificate @{
                    UCX_EXCHANGE_AUTOMATION_APP_ID = $AutomationAppId; UCX_EXCHANGE_CERTIFICATE_PATH = $CertificatePath
                    UCX_EXCHANGE_CERTIFICATE_PASSWORD = $CertificatePassword
                })
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $connect = Get-OnlyConnect $tenantPath
            @($connect.Keys | Sort-Object) | Should -Be @('AppId', 'CertificateFilePath', 'CertificatePassword', 'CommandName', 'ErrorAction', 'Organization', 'ShowBanner', 'SkipLoadingFormatData')
            $connect.AppId | Should -Be $AutomationAppId
            $connect.CertificateFilePath | Should -Be $CertificatePath
            $connect.CertificatePassword | Should -Be '<SecureString>'
            $connect.Organization | Should -Be 'contoso.onmicrosoft.com'
            $connect.ShowBanner | Should -BeFalse
            Assert-NoSecret $run
        }
        It 'exits 3 with one sentence when the certificate password is wrong, without printing it' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment certificate @{
                    UCX_EXCHANGE_AUTOMATION_APP_ID = $AutomationAppId; UCX_EXCHANGE_CERTIFICATE_PATH = $CertificatePath
                    UCX_EXCHANGE_CERTIFICATE_PASSWORD = 'Wrong-' + $CertificatePassword
                })
            $run.ExitCode | Should -Be 3
            $run.Stdout | Should -BeNullOrEmpty
            @($run.Stderr.Trim() -split "`n").Count | Should -Be 1
            $run.Stderr | Should -Match 'Could not connect to Exchange Online for contoso.onmicrosoft.com with exchangeAuth certificate'
            $run.Stderr | Should -Not -BeLike "*Wrong-$CertificatePassword*"
            (Get-FakeExchangeTenant -Path $tenantPath).writes.Count | Should -Be 0
        }
    }

    Context 'clientSecret' {
        BeforeAll {
            $endpoint = Start-TokenEndpoint -Tenant 'contoso.onmicrosoft.com' -Token $IssuedToken
            $script:TokenEndpoint = $endpoint.Process
            $script:TokenAuthority = $endpoint.Authority
        }
        AfterAll { if ($TokenEndpoint -and -not $TokenEndpoint.HasExited) { $TokenEndpoint.Kill() } }

        It 'gets an app-only token with client credentials, then passes -AccessToken -Organization' {
            $tenantPath = New-ConnectTenant
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.config.expected.accessToken = $IssuedToken
            Set-Content -LiteralPath $tenantPath -Value ($tenant | ConvertTo-Json -Depth 20)
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment clientSecret @{
                    UCX_EXCHANGE_AUTOMATION_APP_ID = $AutomationAppId; UCX_EXCHANGE_CLIENT_SECRET = $ClientSecret; UCX_EXCHANGE_TEST_AUTHORITY = $TokenAuthority
                })
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $connect = Get-OnlyConnect $tenantPath
            @($connect.Keys | Sort-Object) | Should -Be @('AccessToken', 'CommandName', 'ErrorAction', 'Organization', 'ShowBanner', 'SkipLoadingFormatData')
            $connect.Organization | Should -Be 'contoso.onmicrosoft.com'
            Assert-NoSecret $run
        }
        It 'exits 3 naming the app and the fix when the secret is rejected, without printing it' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment clientSecret @{
                    UCX_EXCHANGE_AUTOMATION_APP_ID = $AutomationAppId; UCX_EXCHANGE_CLIENT_SECRET = 'x' + $ClientSecret; UCX_EXCHANGE_TEST_AUTHORITY = $TokenAuthority
                })
            $run.ExitCode | Should -Be 3
            $run.Stderr | Should -Match "Could not get an Exchange Online token for app $AutomationAppId.*AADSTS7000215.*exchangeClientSecret"
            $run.Stderr | Should -Not -BeLike "*x$ClientSecret*"
            @((Get-FakeExchangeTenant -Path $tenantPath).connects).Count | Should -Be 0
        }
        It 'refuses a token endpoint override that is not loopback' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment clientSecret @{
                    UCX_EXCHANGE_AUTOMATION_APP_ID = $AutomationAppId; UCX_EXCHANGE_CLIENT_SECRET = $ClientSecret; UCX_EXCHANGE_TEST_AUTHORITY = 'https://login.example.net'
                })
            $run.ExitCode | Should -Be 2
            $run.Stderr | Should -Match 'UCX_EXCHANGE_TEST_AUTHORITY is for tests only'
            Assert-NoSecret $run
        }
    }

    Context 'accessToken' {
        It 'app-only: reads EXO_ACCESS_TOKEN and passes -AccessToken -Organization' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment accessToken @{ EXO_ACCESS_TOKEN = $AccessToken })
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            @((Get-OnlyConnect $tenantPath).Keys | Sort-Object) | Should -Be @('AccessToken', 'CommandName', 'ErrorAction', 'Organization', 'ShowBanner', 'SkipLoadingFormatData')
            Assert-NoSecret $run
        }
        It 'delegated: passes -AccessToken -UserPrincipalName' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment accessToken @{
                    EXO_ACCESS_TOKEN = $AccessToken; UCX_EXCHANGE_ADMIN_UPN = 'admin@contoso.onmicrosoft.com'
                })
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $connect = Get-OnlyConnect $tenantPath
            @($connect.Keys | Sort-Object) | Should -Be @('AccessToken', 'CommandName', 'ErrorAction', 'ShowBanner', 'SkipLoadingFormatData', 'UserPrincipalName')
            $connect.UserPrincipalName | Should -Be 'admin@contoso.onmicrosoft.com'
            Assert-NoSecret $run
        }
        It 'exits 2 naming EXO_ACCESS_TOKEN when it is missing' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment accessToken)
            $run.ExitCode | Should -Be 2
            $run.Stderr | Should -Match 'EXO_ACCESS_TOKEN must hold an Exchange Online access token'
        }
    }

    Context 'managedIdentity' {
        It 'passes -ManagedIdentity -Organization' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment managedIdentity)
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $connect = Get-OnlyConnect $tenantPath
            @($connect.Keys | Sort-Object) | Should -Be @('CommandName', 'ErrorAction', 'ManagedIdentity', 'Organization', 'ShowBanner', 'SkipLoadingFormatData')
            $connect.ManagedIdentity | Should -BeTrue
        }
    }

    Context 'failures' {
        It 'exits 3 with one sentence when Exchange refuses the connection, and writes nothing' {
            $tenantPath = New-ConnectTenant -Options @{ ConnectError = 'UnAuthorized: the app has no Exchange.ManageAsApp permission (401).' }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment accessToken @{ EXO_ACCESS_TOKEN = $AccessToken })
            $run.ExitCode | Should -Be 3
            $run.Stdout | Should -BeNullOrEmpty
            @($run.Stderr.Trim() -split "`n").Count | Should -Be 1
            $run.Stderr | Should -Match 'Exchange.ManageAsApp and the Exchange Administrator role'
            (Get-FakeExchangeTenant -Path $tenantPath).writes.Count | Should -Be 0
            Assert-NoSecret $run
        }
        It 'masks a token that the Exchange module quotes in an error, although ucx-mail never saw it' {
            $moduleToken = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJl'
            $tenantPath = New-ConnectTenant -Options @{ ConnectError = "UnAuthorized: Bearer $moduleToken was rejected (401)." }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment managedIdentity)
            $run.ExitCode | Should -Be 3
            $run.Stderr | Should -Match 'UnAuthorized: Bearer \*\*\* was rejected'
            $run.Stderr | Should -Not -Match 'eyJhdWQiOiJodHRwczovL291dGxvb2sifQ'
        }
        It 'exits 2 naming every bad variable in one sentence' {
            $tenantPath = New-ConnectTenant
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment certificate @{
                    UCX_EXCHANGE_MAILBOXES = '["not-an-address"]'; UCX_EXCHANGE_SMTP_AUTH = 'everywhere'; UCX_EXCHANGE_CERTIFICATE_PASSWORD = $CertificatePassword
                })
            $run.ExitCode | Should -Be 2
            @($run.Stderr.Trim() -split "`n").Count | Should -Be 1
            foreach ($name in 'UCX_EXCHANGE_MAILBOXES', 'UCX_EXCHANGE_SMTP_AUTH', 'UCX_EXCHANGE_AUTOMATION_APP_ID', 'UCX_EXCHANGE_CERTIFICATE_PATH') {
                $run.Stderr | Should -Match $name
            }
            @((Get-FakeExchangeTenant -Path $tenantPath).connects).Count | Should -Be 0
            Assert-NoSecret $run
        }
        It 'exits 2 on an unknown operation' {
            $tenantPath = New-ConnectTenant
            $environment = New-ConnectEnvironment managedIdentity @{ UCX_EXCHANGE_OPERATION = 'destroy-everything' }
            $commandLine = @(Get-PwshCommandLine) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot '../../components/exchange/Invoke-UcxMailExchange.ps1'))
            $environment['UCX_FAKE_EXO_STATE'] = $tenantPath
            $run = Invoke-ProcessCapture -CommandLine $commandLine -Environment $environment
            $run.ExitCode | Should -Be 2
            $run.Stderr | Should -Match "The operation must be 'record', 'apply' or 'remove'"
        }
        It 'accepts the operation from UCX_EXCHANGE_OPERATION when no argument is given' {
            $tenantPath = New-ConnectTenant
            $environment = New-ConnectEnvironment managedIdentity @{ UCX_EXCHANGE_OPERATION = 'apply'; UCX_FAKE_EXO_STATE = $tenantPath }
            $commandLine = @(Get-PwshCommandLine) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot '../../components/exchange/Invoke-UcxMailExchange.ps1'))
            $run = Invoke-ProcessCapture -CommandLine $commandLine -Environment $environment
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            (Get-FakeExchangeTenant -Path $tenantPath).writes.Count | Should -Be 3
        }
    }
}

Describe 'settings and module loading in this process' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot '../../components/exchange/UcxMailExchange.psd1') -Force
        $script:SavedModulePath = $env:PSModulePath
    }
    AfterAll {
        $env:PSModulePath = $script:SavedModulePath
        Remove-Module UcxMailExchange, ExchangeOnlineManagement, tmpEXO_fake -ErrorAction SilentlyContinue
    }

    It 'takes the PFX from UCX_EXCHANGE_LOCAL_CERTIFICATE_PATH on a machine where the stored path does not exist' {
        # The stored environment of a CI run names the runner's temporary PFX; it wins over the process's own variables.
        $stored = New-ConnectEnvironment certificate @{
            UCX_EXCHANGE_AUTOMATION_APP_ID = $AutomationAppId; UCX_EXCHANGE_CERTIFICATE_PATH = '/home/runner/work/_temp/exo.pfx'
            UCX_EXCHANGE_CERTIFICATE_PASSWORD = $CertificatePassword
        }
        { Get-UcxExchangeSetting -Environment $stored } | Should -Throw '*set UCX_EXCHANGE_LOCAL_CERTIFICATE_PATH to the PFX here*'
        $stored['UCX_EXCHANGE_LOCAL_CERTIFICATE_PATH'] = $CertificatePath
        (Get-UcxExchangeSetting -Environment $stored).CertificatePath | Should -Be $CertificatePath
    }

    It 'one reader, two purposes: each problem names the stack''s config key for the steps and the doctor''s flag for the doctor' {
        $steps = New-ConnectEnvironment interactive @{ UCX_EXCHANGE_SMTP_AUTH = 'everywhere' }
        $stepsProblem = { Get-UcxExchangeSetting -Environment $steps -Purpose Steps } | Should -Throw -PassThru
        $stepsProblem.Exception.Message | Should -Match 'UCX_EXCHANGE_AUTH must be certificate, clientSecret, accessToken or managedIdentity \(exchangeAuth;'
        $stepsProblem.Exception.Message | Should -Match 'UCX_EXCHANGE_SMTP_AUTH must be mailbox, organization or unchanged \(smtpAuth\)'
        $stepsProblem.Exception.Message | Should -Not -Match '--exchange'
        $doctor = New-ConnectEnvironment interactive @{ UCX_EXCHANGE_SMTP_AUTH = 'everywhere'; UCX_EXCHANGE_ORGANIZATION = 'contoso.com' }
        $doctorProblem = { Get-UcxExchangeSetting -Environment $doctor -Purpose Doctor } | Should -Throw -PassThru
        $doctorProblem.Exception.Message | Should -Match '^Invalid --exchange settings: '
        $doctorProblem.Exception.Message | Should -Match 'UCX_EXCHANGE_ADMIN_UPN must name the admin who signs in \(--exchange-admin-upn\)'
        $doctorProblem.Exception.Message | Should -Match 'contoso\.onmicrosoft\.com \(--exchange-organization, --cloud\)'
        $doctorProblem.Exception.Message | Should -Not -Match 'SMTP_AUTH|exchangeAuth'
    }
    It 'says why ExchangeOnlineManagement could not be loaded: the first line of the real error, and the version it needs' {
        $modules = Join-Path $TestDrive 'broken-modules'
        $broken = New-Item -ItemType Directory -Path (Join-Path $modules 'ExchangeOnlineManagement') -Force
        Set-Content -LiteralPath (Join-Path $broken 'ExchangeOnlineManagement.psm1') -Value "throw `"Could not load file or assembly 'Microsoft.Identity.Client, Version=4.70.0.0'.``nsecond line of the stack`""
        Set-Content -LiteralPath (Join-Path $broken 'ExchangeOnlineManagement.psd1') -Value "@{ RootModule = 'ExchangeOnlineManagement.psm1'; ModuleVersion = '3.10.0' }"
        $env:PSModulePath = $modules
        $failure = { Import-UcxExchangeModule } | Should -Throw -PassThru
        $failure.Exception.Message | Should -Match "\(Could not load file or assembly 'Microsoft.Identity.Client, Version=4.70.0.0'\.\)"
        $failure.Exception.Message | Should -Not -Match 'second line'
        $failure.Exception.Message | Should -Match 'Install-Module ExchangeOnlineManagement -MinimumVersion 3\.10\.0'

        Set-Content -LiteralPath (Join-Path $broken 'ExchangeOnlineManagement.psd1') -Value "@{ RootModule = 'ExchangeOnlineManagement.psm1'; ModuleVersion = '3.0.0' }"
        { Import-UcxExchangeModule } | Should -Throw '*ExchangeOnlineManagement module (3.10.0 or later) could not be loaded*'
    }
}

Describe 'national clouds (UCX_EXCHANGE_CLOUD)' {
    BeforeAll {
        $script:Clouds = @(
            @{ Cloud = 'usgov'; Organization = 'contoso.onmicrosoft.us'; Environment = 'O365USGovGCCHigh' }
            @{ Cloud = 'dod'; Organization = 'contoso.onmicrosoft.us'; Environment = 'O365USGovDoD' }
            @{ Cloud = 'china'; Organization = 'contoso.partner.onmschina.cn'; Environment = 'O365China' }
        )
        function New-CloudTenant([hashtable] $Cloud) {
            New-ConnectTenant @{ Organization = $Cloud.Organization; ExchangeEnvironment = $Cloud.Environment }
        }
    }
    It 'connects each national tenant with its -ExchangeEnvironmentName' {
        foreach ($cloud in $Clouds) {
            $tenantPath = New-CloudTenant $cloud
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment managedIdentity @{
                    UCX_EXCHANGE_CLOUD = $cloud.Cloud; UCX_EXCHANGE_ORGANIZATION = $cloud.Organization
                })
            $run.ExitCode | Should -Be 0 -Because "$($cloud.Cloud): $($run.Stderr)"
            (Get-OnlyConnect $tenantPath).ExchangeEnvironmentName | Should -Be $cloud.Environment
        }
    }
    It 'a public stack passes no -ExchangeEnvironmentName, as before the setting existed' {
        $tenantPath = New-ConnectTenant
        $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment managedIdentity)
        $run.ExitCode | Should -Be 0 -Because $run.Stderr
        (Get-OnlyConnect $tenantPath).Contains('ExchangeEnvironmentName') | Should -BeFalse
    }
    It 'refuses, before connecting, an organization of another cloud and an unknown cloud name' {
        $tenantPath = New-CloudTenant $Clouds[0]
        $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment managedIdentity @{ UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.us' })
        $run.ExitCode | Should -Be 2
        $run.Stderr | Should -Match 'UCX_EXCHANGE_ORGANIZATION .*public cloud.*contoso\.onmicrosoft\.com'
        $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment managedIdentity @{ UCX_EXCHANGE_CLOUD = 'gcchigh' })
        $run.ExitCode | Should -Be 2
        $run.Stderr | Should -Match 'UCX_EXCHANGE_CLOUD must be one of public, usgov, dod, china'
        @((Get-FakeExchangeTenant -Path $tenantPath).connects).Count | Should -Be 0
    }
    It 'a token for another cloud''s Exchange is refused by the fake, as a resource refuses a foreign audience' {
        $payload = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"aud":"https://outlook.office365.com"}')).TrimEnd('=').Replace('+', '-').Replace('/', '_')
        $commercialToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.$payload.sig"
        $tenantPath = New-CloudTenant $Clouds[0]
        $tenant = Get-FakeExchangeTenant -Path $tenantPath
        $tenant.config.expected.accessToken = $commercialToken
        Set-Content -LiteralPath $tenantPath -Value ($tenant | ConvertTo-Json -Depth 20)
        $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment (New-ConnectEnvironment accessToken @{
                UCX_EXCHANGE_CLOUD = 'usgov'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.us'; EXO_ACCESS_TOKEN = $commercialToken
            })
        $run.ExitCode | Should -Be 3
        $run.Stderr | Should -Match 'UnAuthorized'
        @((Get-FakeExchangeTenant -Path $tenantPath).writes).Count | Should -Be 0
    }
    Context 'clientSecret in DoD' {
        BeforeAll {
            # A JWT whose aud is DoD's Exchange resource, as the DoD authority issues for its scope.
            $payload = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"aud":"https://outlook-dod.office365.us","roles":["Exchange.ManageAsApp"]}')).TrimEnd('=').Replace('+', '-').Replace('/', '_')
            $script:DodToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.$payload.sig"
            $endpoint = Start-TokenEndpoint -Tenant 'contoso.onmicrosoft.us' -Token $DodToken -Scope 'https://outlook-dod.office365.us/.default'
            $script:DodEndpoint = $endpoint.Process
            $script:DodAuthority = $endpoint.Authority
        }
        AfterAll { if ($DodEndpoint -and -not $DodEndpoint.HasExited) { $DodEndpoint.Kill() } }

        It 'asks for the DoD Exchange scope and connects with O365USGovDoD and a token of that audience' {
            $tenantPath = New-CloudTenant $Clouds[1]
            $tenant = Get-FakeExchangeTenant -Path $tenantPath
            $tenant.config.expected.accessToken = $DodToken
            Set-Content -LiteralPath $tenantPath -Value ($tenant | ConvertTo-Json -Depth 20)
            $environment = New-ConnectEnvironment clientSecret @{
                UCX_EXCHANGE_CLOUD = 'dod'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.us'; UCX_EXCHANGE_AUTOMATION_APP_ID = $AutomationAppId
                UCX_EXCHANGE_CLIENT_SECRET = $ClientSecret; UCX_EXCHANGE_TEST_AUTHORITY = $DodAuthority
            }
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment $environment
            $run.ExitCode | Should -Be 0 -Because $run.Stderr
            $connect = Get-OnlyConnect $tenantPath
            $connect.ExchangeEnvironmentName | Should -Be 'O365USGovDoD'
            $run.Stdout + $run.Stderr | Should -Not -BeLike "*$DodToken*"
            # The GCC High scope is another resource: the DoD authority refuses it.
            $environment.UCX_EXCHANGE_CLOUD = 'usgov'
            $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath (New-CloudTenant $Clouds[0]) -Environment $environment
            $run.ExitCode | Should -Be 3
        }
    }
}
