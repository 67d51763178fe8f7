# Read-only diagnosis for the doctor (vendor troubleshooting steps 3-6): one connection with Get-* cmdlets only, then
# what Exchange Online says about the service principal, FullAccess, IMAP/POP and SMTP AUTH, as one JSON line.
# A part of the UcxMailExchange module (parts.json, writes: false): it calls the read-only part's functions and never
# writes. Kept Windows PowerShell 5.1 compatible and ASCII, like every part the manual script concatenates.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:DiagnosisSchema = 'ucx-mail/doctor-exchange/v1'
# The only cmdlets the doctor's session loads (the -CommandName of its connection): all reads.
$script:DiagnosisCommandNames = @('Get-ServicePrincipal', 'Get-MailboxPermission', 'Get-CASMailbox', 'Get-TransportConfig')

function New-UcxDiagnosisFailure {
    <#
    .SYNOPSIS
        Builds a diagnosis failure that names the stage (input, module, connect, cmdlet) the doctor maps to a fix.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param([Parameter(Mandatory)] [ValidateSet('input', 'module', 'connect', 'cmdlet')] [string] $Stage, [Parameter(Mandatory)] [string] $Message)
    New-UcxFailure -ErrorId "UcxMailDiagnose.$Stage" -Message $Message
}

function Get-UcxMailboxFinding {
    <#
    .SYNOPSIS
        Reads one mailbox, read-only: its FullAccess lines for the principal (any of its identities), IMAP, POP and SMTP AUTH.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Mailbox, [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $PrincipalKey)
    $finding = [ordered]@{ mailbox = $Mailbox; exists = $true; fullAccess = $false; fullAccessDenied = $false; users = @(); imapEnabled = $null; popEnabled = $null; smtpClientAuthenticationDisabled = $null }
    $casMailbox = Get-UcxCasMailboxSetting -Mailbox $Mailbox -AllowMissing
    if (-not $casMailbox.Exists) {
        $finding.exists = $false
        return $finding
    }
    $finding.imapEnabled = $casMailbox.ImapEnabled
    $finding.popEnabled = $casMailbox.PopEnabled
    $finding.smtpClientAuthenticationDisabled = $casMailbox.SmtpClientAuthenticationDisabled
    # The whole list, as in the vendor's step 5: -User is documented for users and groups, not service principals.
    $entries = @(Invoke-UcxExchangeStep -Step "Get-MailboxPermission $Mailbox" -Action { @(Get-MailboxPermission -Identity $Mailbox -ErrorAction Stop) } | Where-Object { $null -ne $_ })
    $finding.users = @($entries | ForEach-Object { ([string]$_.User).Trim() } | Select-Object -Unique)
    foreach ($entry in $entries) {
        if ($PrincipalKey -notcontains ([string]$entry.User).Trim() -or (@($entry.AccessRights) -join ',') -notmatch 'FullAccess') { continue }
        if ($entry.Deny) { $finding.fullAccessDenied = $true } else { $finding.fullAccess = $true }
    }
    $finding
}

function Get-UcxExchangeDiagnosis {
    <#
    .SYNOPSIS
        Reads, and only reads, what the vendor's troubleshooting steps 4-6 check, for one app and its mailboxes.
    .OUTPUTS
        An ordered hashtable: schema, principal { found, objectId, displayName, identities }, mailboxes, organization.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $AppId, [Parameter(Mandatory)] [string[]] $Mailboxes)
    $all = Get-UcxExchangeServicePrincipalList
    $principal = Get-UcxExchangeServicePrincipal -AppId $AppId -All $all
    $report = [ordered]@{ schema = $script:DiagnosisSchema; principal = [ordered]@{ found = $false; objectId = $null; displayName = $null; identities = @() }; mailboxes = @(); organization = $null }
    $keys = @()
    if ($null -ne $principal) {
        $objectId = Get-UcxPrincipalObjectId -Principal $principal
        $name = [string]$principal.DisplayName
        $keys = [string[]](Get-UcxPrincipalKey -AppId $AppId -ObjectId $(if ($objectId) { $objectId } else { $AppId }) -Name @($name) -All $all)
        $report.principal = [ordered]@{ found = $true; objectId = $objectId; displayName = $name; identities = $keys }
    }
    $report.mailboxes = @(foreach ($mailbox in $Mailboxes) { Get-UcxMailboxFinding -Mailbox $mailbox -PrincipalKey $keys })
    $report.organization = [ordered]@{ smtpClientAuthenticationDisabled = Get-UcxTransportSmtpSetting }
    $report
}

function Connect-UcxExchangeForDiagnosis {
    <#
    .SYNOPSIS
        Opens the doctor's one Exchange session with -CommandName (Get-* only) and checks every read cmdlet arrived.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Settings)
    $parameters = Get-UcxConnectParameter -Settings $Settings
    $parameters.CommandName = $script:DiagnosisCommandNames
    try {
        Invoke-UcxQuietly { Connect-ExchangeOnline @parameters -ErrorAction Stop }
    } catch {
        $firstLine = (Hide-UcxSecret $_.Exception.Message) -split "`r?`n" | Select-Object -First 1
        throw (New-UcxDiagnosisFailure -Stage 'connect' -Message "Could not connect to Exchange Online for $($Settings.Organization) with --exchange $($Settings.Auth): $firstLine")
    }
    # A cmdlet missing after connect means the identity's Exchange roles do not grant it.
    $missing = @($script:DiagnosisCommandNames | Where-Object { $null -eq (Get-Command -Name $_ -ErrorAction SilentlyContinue) })
    if ($missing.Count -gt 0) {
        throw (New-UcxDiagnosisFailure -Stage 'cmdlet' -Message "Connected, but Exchange did not grant $($missing -join ', ') to this identity, so the read-only checks cannot run.")
    }
}

function Invoke-UcxMailDoctor {
    <#
    .SYNOPSIS
        The doctor's entry point: read settings, load ExchangeOnlineManagement, connect once (Get-* only), read, print one JSON line.
    .OUTPUTS
        The process exit code: 0 findings printed, 1 a failure printed ({ failure: { stage, message } }).
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param()
    $connected = $false
    try {
        # The Exchange steps' own reader and variables, so the doctor checks its input exactly as a run would.
        try { $settings = Get-UcxExchangeSetting -Purpose Doctor }
        catch { throw (New-UcxDiagnosisFailure -Stage 'input' -Message $_.Exception.Message) }
        Reset-UcxRetryBudget -MaxWaitMinutes 1 -ResumeHint 'running the doctor again resumes'
        try { Import-UcxExchangeModule }
        catch { throw (New-UcxDiagnosisFailure -Stage 'module' -Message $_.Exception.Message) }
        Connect-UcxExchangeForDiagnosis -Settings $settings
        $connected = $true
        $report = Get-UcxExchangeDiagnosis -AppId $settings.AppId -Mailboxes $settings.Mailboxes 3>$null
        [Console]::Out.WriteLine((ConvertTo-Json -InputObject $report -Depth 8 -Compress))
        return 0
    } catch {
        $stage = 'connect'
        if ($_.FullyQualifiedErrorId -match '^UcxMailDiagnose\.(\w+)') { $stage = $Matches[1] }
        elseif ($connected) { $stage = 'read' }
        $message = (Hide-UcxSecret $_.Exception.Message) -split "`r?`n" | Select-Object -First 1
        [Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ schema = $script:DiagnosisSchema; failure = [ordered]@{ stage = $stage; message = $message } }) -Compress))
        return 1
    } finally {
        if ($connected) {
            try { Invoke-UcxQuietly { Disconnect-ExchangeOnline -Confirm:$false -ErrorAction Stop } }
            catch { Write-UcxLog ('disconnect failed: ' + $_.Exception.Message) }
        }
    }
}
