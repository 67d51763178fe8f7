# How the module meets the real cmdlets' errors: every call stops on a service error, "not found" is recognised in each
# form Exchange uses, and a principal is compared by its Entra object id only. All in this process: no tenant needed.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../components/exchange/UcxMailExchange.psd1') -Force
    $script:ExchangeCmdlets = @('Get-ServicePrincipal', 'New-ServicePrincipal', 'Set-ServicePrincipal', 'Remove-ServicePrincipal',
        'Get-MailboxPermission', 'Add-MailboxPermission', 'Remove-MailboxPermission', 'Get-CASMailbox', 'Set-CASMailbox',
        'Get-TransportConfig', 'Set-TransportConfig', 'Connect-ExchangeOnline', 'Disconnect-ExchangeOnline')
    # The type the real cmdlets throw for a missing object (PowerShell/PowerShell#19793), for an exception-type test.
    class ManagementObjectNotFoundException : System.Exception {
        ManagementObjectNotFoundException([string] $message) : base($message) {}
    }
}

AfterAll { Remove-Module UcxMailExchange -ErrorAction SilentlyContinue }

Describe 'calls into ExchangeOnlineManagement' {
    It 'pass -ErrorAction Stop on every Exchange cmdlet call in every part, because the real errors are non-terminating' {
        $parts = (Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../components/exchange/parts.json') -Raw | ConvertFrom-Json).parts
        $calls = 0
        $missing = foreach ($part in $parts) {
            $file = Join-Path $PSScriptRoot "../../components/exchange/$($part.file)"
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($file, [ref]$null, [ref]$null)
            foreach ($command in $ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true)) {
                if ($script:ExchangeCmdlets -notcontains $command.GetCommandName()) { continue }
                $calls++
                $stop = $false
                for ($index = 0; $index -lt $command.CommandElements.Count; $index++) {
                    $element = $command.CommandElements[$index]
                    if ($element -is [System.Management.Automation.Language.CommandParameterAst] -and $element.ParameterName -eq 'ErrorAction') {
                        $value = $(if ($element.Argument) { $element.Argument } else { $command.CommandElements[$index + 1] })
                        $stop = $value.Extent.Text.Trim("'", '"') -eq 'Stop'
                    }
                }
                if (-not $stop) { "$($part.file):$($command.Extent.StartLineNumber) $($command.Extent.Text)" }
            }
        }
        $calls | Should -BeGreaterThan 12
        @($missing) | Should -BeNullOrEmpty
    }
}

Describe '"not found" from Exchange' {
    It 'is recognised in the form <Name>' -ForEach @(
        @{ Name = 'REST: Ex<hex>|ManagementObjectNotFoundException|text'; Message = "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'x' couldn't be found on 'SRV'." }
        @{ Name = 'REST type with another text'; Message = 'Ex4B2A11|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|Object is missing.' }
        @{ Name = 'Couldn''t find object'; Message = 'Couldn''t find object "fax@contoso.com". Please make sure that it was spelled correctly or specify a different object.' }
        @{ Name = 'couldn''t be found'; Message = "The operation couldn't be performed because object 'x' couldn't be found on 'SRV'." }
        @{ Name = 'wasn''t found'; Message = 'User or group "x" wasn''t found. Please make sure you''ve typed it correctly.' }
    ) {
        Test-UcxNotFoundError -Message $Message | Should -BeTrue
        Get-UcxTransientReason -Message $Message -RetryNotFound | Should -Be 'not found yet'
    }
    It 'is recognised by the exception type alone' {
        $exception = [ManagementObjectNotFoundException]::new('Object is missing.')
        Test-UcxNotFoundError -Message $exception.Message -Exception $exception | Should -BeTrue
    }
    It 'is not read into other errors' {
        Test-UcxNotFoundError -Message 'Ex1A2B3C|Microsoft.Exchange.Configuration.Tasks.TaskException|Set-CASMailbox failed.' | Should -BeFalse
    }
}

Describe 'a principal found for the AppId' {
    It 'is never refused because its Identity differs: Identity is not the Entra object id' {
        $principal = [pscustomobject]@{ AppId = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'; DisplayName = 'UCXSuiteMail'; Identity = '9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a' }
        { Assert-UcxPrincipalObjectId -Principal $principal -AppId $principal.AppId -ServicePrincipalObjectId '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b' 2>$null } | Should -Not -Throw
    }
    It 'is refused when its ObjectId (or ServiceId) differs' -ForEach @('ObjectId', 'ServiceId') {
        $principal = [pscustomobject]@{ AppId = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'; DisplayName = 'UCXSuiteMail'; $_ = '9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a' }
        { Assert-UcxPrincipalObjectId -Principal $principal -AppId $principal.AppId -ServicePrincipalObjectId '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b' } | Should -Throw '*object id 9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a instead of*'
    }
}
