# Test helpers: build a fake tenant file, read it back, and run the real entry script in a separate pwsh process
# with the fake ExchangeOnlineManagement module first on PSModulePath.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../../..')).ProviderPath
$script:FakeModuleRoot = $PSScriptRoot
$script:EntryScript = Join-Path $script:RepoRoot 'components/exchange/Invoke-UcxMailExchange.ps1'

function New-FakeExchangeTenant {
    <#
    .SYNOPSIS
        Writes a fake tenant to a JSON file and returns its path.
    .PARAMETER Mailboxes
        Address -> SmtpClientAuthenticationDisabled ($null, $true or $false).
    .PARAMETER PrincipalIdProperty
        The property of Get-ServicePrincipal output that carries the Entra object id: ObjectId, or ServiceId as in older output.
    .PARAMETER PermissionUserForm
        How Get-MailboxPermission shows a service principal in its User column (undocumented): DisplayName, ObjectId or AppId.
    .PARAMETER CasSettings
        Address -> @{ imapEnabled = ...; popEnabled = ... } for mailboxes whose CAS mailbox plan disabled a protocol.
    .PARAMETER EntraServicePrincipals
        The enterprise applications Entra knows (@{ AppId; ObjectId }); when given, New-ServicePrincipal refuses any other id.
    .PARAMETER EntraLagCalls
        How many New-ServicePrincipal calls answer AADServicePrincipalNotFound before Entra has replicated.
    .PARAMETER MissingCmdlets
        Cmdlets the connecting identity's Exchange roles do not grant: Connect-ExchangeOnline never imports them.
    .PARAMETER MicroDelayEvery
        Every n-th cmdlet call warns "Micro delay applied" and still runs.
    .PARAMETER FailWriteAt
        The n-th write cmdlet call from now fails once, before it applies anything (fault injection).
    .PARAMETER ExchangeEnvironment
        The cloud the tenant lives in, as Connect-ExchangeOnline -ExchangeEnvironmentName names it.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [hashtable] $Mailboxes = @{},
        [bool] $OrganizationSmtpDisabled = $true,
        [object[]] $ServicePrincipals = @(),
        [hashtable] $Permissions = @{},
        [int] $PropagationCalls = 0,
        [int] $ThrottleEvery = 0,
        [string] $ConnectError,
        [hashtable] $Expected = @{},
        [string] $Organization = 'contoso.onmicrosoft.com',
        [ValidateSet('ObjectId', 'ServiceId')] [string] $PrincipalIdProperty = 'ObjectId',
        [ValidateSet('DisplayName', 'ObjectId', 'AppId')] [string] $PermissionUserForm = 'DisplayName',
        [hashtable] $CasSettings = @{},
        [object[]] $EntraServicePrincipals,
        [int] $EntraLagCalls = 0,
        [string[]] $MissingCmdlets = @(),
        [int] $MicroDelayEvery = 0,
        [int] $FailWriteAt = 0,
        [ValidateSet('O365Default', 'O365USGovGCCHigh', 'O365USGovDoD', 'O365China')] [string] $ExchangeEnvironment = 'O365Default'
    )
    $mailboxTable = [ordered]@{}
    foreach ($address in $Mailboxes.Keys) {
        $grants = @()
        if ($Permissions.ContainsKey($address)) { $grants = @($Permissions[$address] | ForEach-Object { @{ User = $_; AccessRights = @('FullAccess'); Deny = $false; AutoMapping = $false } }) }
        $entry = [ordered]@{ smtpClientAuthenticationDisabled = $Mailboxes[$address]; permissions = $grants }
        if ($CasSettings.ContainsKey($address)) { foreach ($key in $CasSettings[$address].Keys) { $entry[$key] = $CasSettings[$address][$key] } }
        $mailboxTable[$address.ToLowerInvariant()] = $entry
    }
    $tenant = [ordered]@{
        config            = [ordered]@{
            organization = $Organization; exchangeEnvironment = $ExchangeEnvironment; propagationCalls = $PropagationCalls; throttleEvery = $ThrottleEvery
            principalIdProperty = $PrincipalIdProperty; permissionUserForm = $PermissionUserForm
            entraServicePrincipals = $(if ($PSBoundParameters.ContainsKey('EntraServicePrincipals')) { , @($EntraServicePrincipals) } else { $null })
            entraLagCalls = $EntraLagCalls; missingCmdlets = @($MissingCmdlets); microDelayEvery = $MicroDelayEvery; failWriteAt = $FailWriteAt
            connectError = $(if ($ConnectError) { $ConnectError } else { $null })
            expected     = [ordered]@{
                appId = $Expected['appId']; certificatePassword = $Expected['certificatePassword']
                accessToken = $Expected['accessToken']; managedIdentity = [bool]$Expected['managedIdentity']
                managedIdentityAccountId = $Expected['managedIdentityAccountId']
            }
        }
        servicePrincipals = @($ServicePrincipals | ForEach-Object { @{ AppId = $_.AppId; ObjectId = $_.ObjectId; DisplayName = $_.DisplayName; Identity = $_.ObjectId; pendingCalls = 0 } })
        mailboxes         = $mailboxTable
        transportConfig   = [ordered]@{ smtpClientAuthenticationDisabled = $OrganizationSmtpDisabled }
        callCount         = 0
        calls             = [ordered]@{}
        writes            = @()
        writeAttempts     = 0
        faults            = @()
        connects          = @()
        disconnects       = 0
    }
    if ($PSCmdlet.ShouldProcess($Path, 'Write fake tenant')) {
        Set-Content -LiteralPath $Path -Value ($tenant | ConvertTo-Json -Depth 20) -Encoding utf8
    }
    $Path
}

function Get-FakeExchangeTenant {
    <#
    .SYNOPSIS
        Reads a fake tenant file back as hashtables.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Path)
    Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json -AsHashtable
}

function Clear-FakeExchangeLog {
    <#
    .SYNOPSIS
        Forgets recorded writes and connects, keeping the tenant's objects, so a re-run can be counted alone.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [string] $Path)
    $tenant = Get-FakeExchangeTenant -Path $Path
    $tenant.writes = @(); $tenant.connects = @(); $tenant.disconnects = 0
    if ($PSCmdlet.ShouldProcess($Path, 'Clear log')) { Set-Content -LiteralPath $Path -Value ($tenant | ConvertTo-Json -Depth 20) -Encoding utf8 }
}

function Get-PwshCommandLine {
    <#
    .SYNOPSIS
        The executable and leading arguments that start the same PowerShell this test runs in (dotnet + pwsh.dll for the local tool).
    #>
    [CmdletBinding()]
    param()
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { return @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    @($process)
}

function Invoke-ProcessCapture {
    <#
    .SYNOPSIS
        Runs a process with exactly the given extra environment and captures exit code, stdout and stderr.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string[]] $CommandLine,
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = $script:RepoRoot,
        [string] $StandardInput
    )
    $info = [System.Diagnostics.ProcessStartInfo]::new($CommandLine[0])
    foreach ($argument in $CommandLine[1..($CommandLine.Count - 1)]) { $info.ArgumentList.Add($argument) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.RedirectStandardInput = $PSBoundParameters.ContainsKey('StandardInput')
    $info.UseShellExecute = $false
    $info.WorkingDirectory = $WorkingDirectory
    foreach ($name in @($info.Environment.Keys)) { if ($name -like 'UCX_*' -or $name -in @('EXO_ACCESS_TOKEN', 'PULUMI_COMMAND_STDOUT')) { $info.Environment.Remove($name) | Out-Null } }
    $info.Environment['PSModulePath'] = $script:FakeModuleRoot
    foreach ($name in $Environment.Keys) { $info.Environment[$name] = [string]$Environment[$name] }
    $process = [System.Diagnostics.Process]::Start($info)
    if ($info.RedirectStandardInput) { $process.StandardInput.Write($StandardInput); $process.StandardInput.Close() }
    $stdoutTask = $process.StandardOutput.ReadToEndAsync()
    $stderrTask = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    [pscustomobject]@{ ExitCode = $process.ExitCode; Stdout = $stdoutTask.Result; Stderr = $stderrTask.Result }
}

function Invoke-UcxExchangeEntry {
    <#
    .SYNOPSIS
        Runs components/exchange/Invoke-UcxMailExchange.ps1 against the fake tenant like the command resource does.
    .OUTPUTS
        ExitCode, Stdout, Stderr and Report (the parsed JSON line, or $null).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [ValidateSet('apply', 'remove')] [string] $Operation,
        [Parameter(Mandatory)] [string] $TenantPath,
        [Parameter(Mandatory)] [hashtable] $Environment,
        [string] $PreviousStdout
    )
    $variables = @{ UCX_FAKE_EXO_STATE = $TenantPath; UCX_EXCHANGE_TEST_TIME_SCALE = '0.0005' }
    foreach ($name in $Environment.Keys) { $variables[$name] = $Environment[$name] }
    if ($PreviousStdout) { $variables['PULUMI_COMMAND_STDOUT'] = $PreviousStdout }
    $commandLine = @(Get-PwshCommandLine) + @('-NoProfile', '-NonInteractive', '-File', $script:EntryScript, $Operation)
    $result = Invoke-ProcessCapture -CommandLine $commandLine -Environment $variables
    $report = $null
    $lines = @($result.Stdout -split "`r?`n" | Where-Object { $_.Trim() })
    if ($lines.Count -eq 1) { try { $report = $lines[0] | ConvertFrom-Json -AsHashtable } catch { $report = $null } }
    [pscustomobject]@{ ExitCode = $result.ExitCode; Stdout = $result.Stdout.TrimEnd("`n"); Stderr = $result.Stderr; Report = $report; StdoutLines = $lines.Count }
}

function Enter-FakeExchangeSession {
    <#
    .SYNOPSIS
        In this process: points the fake at a tenant file, loads the fake and UcxMailExchange globally, and connects.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $TenantPath)
    $env:UCX_FAKE_EXO_STATE = $TenantPath
    Import-Module (Join-Path $script:FakeModuleRoot 'ExchangeOnlineManagement/ExchangeOnlineManagement.psm1') -Force -Global
    Import-Module (Join-Path $script:RepoRoot 'components/exchange/UcxMailExchange.psd1') -Force -Global
    Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false
}

function Exit-FakeExchangeSession {
    <#
    .SYNOPSIS
        Undoes Enter-FakeExchangeSession: disconnects and unloads both modules.
    #>
    [CmdletBinding()]
    param()
    Disconnect-ExchangeOnline -Confirm:$false 6>$null
    Remove-Module ExchangeOnlineManagement, UcxMailExchange -ErrorAction SilentlyContinue
    Remove-Item Env:UCX_FAKE_EXO_STATE -ErrorAction SilentlyContinue
}

Export-ModuleMember -Function Enter-FakeExchangeSession, Exit-FakeExchangeSession, New-FakeExchangeTenant, Get-FakeExchangeTenant, Clear-FakeExchangeLog, Get-PwshCommandLine, Invoke-ProcessCapture, Invoke-UcxExchangeEntry
