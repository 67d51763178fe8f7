# The doctor's interactive Exchange sign-in: the module's Web Account Manager needs a window the hidden pwsh lacks.
BeforeAll {
    Set-StrictMode -Version Latest
    Import-Module (Join-Path $PSScriptRoot '../../components/exchange/UcxMailExchange.psd1') -Force
    $script:Settings = @{ Auth = 'interactive'; AdminUpn = 'admin@contoso.com'; Organization = 'contoso.onmicrosoft.com' }

    # A stand-in ExchangeOnlineManagement whose Connect-ExchangeOnline has the parameters of one module version.
    function Import-StandInExchangeModule([bool] $WithDisableWam) {
        Get-Module -Name ExchangeOnlineManagement | Remove-Module -Force
        $body = if ($WithDisableWam) {
            'function Connect-ExchangeOnline { param([string] $UserPrincipalName, [switch] $ShowBanner, [switch] $SkipLoadingFormatData, [switch] $DisableWAM) }'
        } else {
            'function Connect-ExchangeOnline { param([string] $UserPrincipalName, [switch] $ShowBanner, [switch] $SkipLoadingFormatData) }'
        }
        New-Module -Name ExchangeOnlineManagement -ScriptBlock ([scriptblock]::Create($body)) | Import-Module -Global -Force
    }
}

AfterAll {
    Get-Module -Name ExchangeOnlineManagement | Remove-Module -Force
    Get-Module -Name UcxMailExchange | Remove-Module -Force
}

Describe 'Get-UcxConnectParameter in interactive mode' {
    It 'passes -DisableWAM when the module has it (3.7.2 and later)' {
        Import-StandInExchangeModule -WithDisableWam $true
        $parameters = Get-UcxConnectParameter -Settings $Settings
        $parameters.UserPrincipalName | Should -Be 'admin@contoso.com'
        $parameters.DisableWAM | Should -BeTrue
    }

    It 'leaves it out for a module without it (before 3.7.2), which would refuse an unknown parameter' {
        Import-StandInExchangeModule -WithDisableWam $false
        $parameters = Get-UcxConnectParameter -Settings $Settings
        $parameters.UserPrincipalName | Should -Be 'admin@contoso.com'
        $parameters.ContainsKey('DisableWAM') | Should -BeFalse
    }

    It 'never passes it in the unattended modes' {
        Import-StandInExchangeModule -WithDisableWam $true
        $parameters = Get-UcxConnectParameter -Settings @{ Auth = 'managedIdentity'; Organization = 'contoso.onmicrosoft.com' }
        $parameters.ContainsKey('DisableWAM') | Should -BeFalse
    }
}
