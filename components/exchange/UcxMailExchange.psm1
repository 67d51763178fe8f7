# UcxMailExchange: the Exchange Online half of the UCX Suite mail procedure, as an idempotent, reversible reconcile.
# Kept compatible with Windows PowerShell 5.1 because the manual setup script embeds this module verbatim.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:StateSchema = 'ucx-mail/exchange/v1'
$script:DefaultAuthorityBase = 'https://login.microsoftonline.com'
$script:ExchangeScope = 'https://outlook.office365.com/.default'
# Nominal retry delays: doubling from 2 s, capped at 60 s, all charged against the run's exchangeMaxWaitMinutes budget.
$script:RetryFirstDelayMs = 2000
$script:RetryMaxDelayMs = 60000
$script:RetryBudget = @{ MaxWaitMs = 600000; WaitedMs = 0; TimeScale = 1.0; ResumeHint = 're-running `pulumi up` resumes safely' }
$script:SecretsToHide = New-Object System.Collections.Generic.List[string]

function New-UcxFailure {
    <#
    .SYNOPSIS
        Builds the one-sentence error that the entry script prints for bad input, connect failures and give-ups.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param([Parameter(Mandatory)] [string] $Message, [string] $ErrorId = 'UcxMailExchange.Failure')
    $exception = New-Object System.InvalidOperationException $Message
    New-Object System.Management.Automation.ErrorRecord $exception, $ErrorId, 'InvalidOperation', $null
}

function Hide-UcxSecret {
    <#
    .SYNOPSIS
        Replaces every registered secret value, and anything shaped like a JWT, with '***' so messages can be printed safely.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowEmptyString()] [AllowNull()] [string] $Text)
    if ([string]::IsNullOrEmpty($Text)) { return '' }
    foreach ($secret in $script:SecretsToHide) {
        if (-not [string]::IsNullOrEmpty($secret)) { $Text = $Text.Replace($secret, '***') }
    }
    # Also any JWT, such as a token the Exchange module fetched itself and quoted in an error: never registered here.
    [regex]::Replace($Text, 'eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}(\.[A-Za-z0-9_-]*)?', '***')
}

function Write-UcxLog {
    <#
    .SYNOPSIS
        Writes a progress line to stderr, because stdout is reserved for the one JSON line.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Message)
    [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $Message))
}

function Invoke-UcxQuietly {
    <#
    .SYNOPSIS
        Runs a block and sends its warnings, verbose, debug and host lines to stderr, dropping its output.
    .DESCRIPTION
        The Exchange module talks on the host (Disconnect-ExchangeOnline prints "Disconnected successfully !" with
        Write-Host), and pwsh writes host output to stdout, which must carry nothing but the JSON line.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [scriptblock] $Action)
    $records = & $Action 3>&1 4>&1 5>&1 6>&1
    foreach ($record in @($records)) {
        if ($record -is [System.Management.Automation.WarningRecord] -or $record -is [System.Management.Automation.InformationalRecord] -or
            $record -is [System.Management.Automation.InformationRecord]) {
            $text = ([string]$record).Trim()
            if ($text) { Write-UcxLog $text }
        }
    }
}

function Reset-UcxRetryBudget {
    <#
    .SYNOPSIS
        Starts a new retry budget: the total nominal wait of all retries in this run may not exceed MaxWaitMinutes.
    .PARAMETER TimeScale
        Test-only factor (0 < s <= 1) applied to the budget and to every sleep, so tests run the real schedule fast.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)] [ValidateRange(1, 120)] [int] $MaxWaitMinutes,
        [ValidateRange(0.000001, 1.0)] [double] $TimeScale = 1.0,
        [string] $ResumeHint = 're-running `pulumi up` resumes safely'
    )
    if ($PSCmdlet.ShouldProcess('retry budget', 'Reset')) {
        $script:RetryBudget = @{ MaxWaitMs = [double]$MaxWaitMinutes * 60000; WaitedMs = 0.0; TimeScale = $TimeScale; ResumeHint = $ResumeHint }
    }
}

function Get-UcxTransientReason {
    <#
    .SYNOPSIS
        Classifies an Exchange error as throttling, "not found yet" (propagation) or permanent ($null).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Message, [switch] $RetryNotFound)
    if ($Message -match 'throttl|server (is )?busy|too many (requests|concurrent)|micro ?delay|\(429\)|try again later') { return 'throttled' }
    if ($RetryNotFound -and $Message -match "couldn't be found|could not be found|wasn't found|was not found|does not exist") { return 'not found yet' }
    $null
}

function Invoke-UcxExchangeStep {
    <#
    .SYNOPSIS
        Runs one Exchange step, retrying throttling (and, with -RetryNotFound, propagation delay) with bounded backoff.
    .DESCRIPTION
        Delays double from 2 s up to 60 s. Their nominal sum over the whole run is bounded by exchangeMaxWaitMinutes;
        when the next delay would exceed it, the step fails with a message that names it and says how to resume.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Step,
        [Parameter(Mandatory)] [scriptblock] $Action,
        [switch] $RetryNotFound
    )
    $attempt = 0
    while ($true) {
        try {
            return (& $Action)
        } catch {
            $message = $_.Exception.Message
            $reason = Get-UcxTransientReason -Message $message -RetryNotFound:$RetryNotFound
            if ($null -eq $reason) { throw }
            $nominalMs = [Math]::Min($script:RetryFirstDelayMs * [Math]::Pow(2, $attempt), $script:RetryMaxDelayMs)
            $budget = $script:RetryBudget
            if ($budget.WaitedMs + $nominalMs -gt $budget.MaxWaitMs) {
                $minutes = [Math]::Round($budget.MaxWaitMs / 60000, 1)
                throw (New-UcxFailure -ErrorId 'UcxMailExchange.GaveUp' -Message (
                        "Step '$Step' gave up after waiting $minutes minute(s) (exchangeMaxWaitMinutes) because Exchange Online " +
                        "still answered ($reason): $(Hide-UcxSecret $message) Exchange Online is eventually consistent, so " +
                        "$($budget.ResumeHint); raise exchangeMaxWaitMinutes if this keeps happening."))
            }
            $budget.WaitedMs += $nominalMs
            $attempt++
            Write-UcxLog "$Step`: $reason, retry $attempt in $([Math]::Round($nominalMs / 1000)) s"
            Start-Sleep -Milliseconds ([int][Math]::Ceiling($nominalMs * $budget.TimeScale))
        }
    }
}

function Test-UcxSameSetting {
    <#
    .SYNOPSIS
        Compares two SmtpClientAuthenticationDisabled values where $null (inherit the organization) differs from $false.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([AllowNull()] $Left, [AllowNull()] $Right)
    if ($null -eq $Left -or $null -eq $Right) { return ($null -eq $Left -and $null -eq $Right) }
    [bool]$Left -eq [bool]$Right
}

function ConvertTo-UcxPlainData {
    <#
    .SYNOPSIS
        Turns ConvertFrom-Json output (PSCustomObject) into ordered hashtables and arrays, keeping $null values and key presence.
    #>
    [CmdletBinding()]
    param([AllowNull()] $InputObject)
    if ($null -eq $InputObject) { return $null }
    if ($InputObject -is [System.Management.Automation.PSCustomObject]) {
        $table = [ordered]@{}
        foreach ($property in $InputObject.PSObject.Properties) { $table[$property.Name] = ConvertTo-UcxPlainData $property.Value }
        return $table
    }
    if ($InputObject -is [System.Collections.IDictionary]) {
        $table = [ordered]@{}
        foreach ($key in $InputObject.Keys) { $table[[string]$key] = ConvertTo-UcxPlainData $InputObject[$key] }
        return $table
    }
    if ($InputObject -is [System.Collections.IEnumerable] -and $InputObject -isnot [string]) {
        return , @($InputObject | ForEach-Object { ConvertTo-UcxPlainData $_ })
    }
    $InputObject
}

function ConvertFrom-UcxExchangeState {
    <#
    .SYNOPSIS
        Reads the JSON line of a previous run (PULUMI_COMMAND_STDOUT) and returns it as hashtables, or $null if empty.
    .DESCRIPTION
        Only the last line that carries this module's schema marker counts, so stray lines on stdout cannot confuse it.
    #>
    [CmdletBinding()]
    param([AllowNull()] [AllowEmptyString()] [string] $Json)
    if ([string]::IsNullOrWhiteSpace($Json)) { return $null }
    $lines = @($Json -split "`r?`n" | Where-Object { $_.Trim().StartsWith('{') })
    [array]::Reverse($lines)
    foreach ($line in $lines) {
        try { $parsed = ConvertTo-UcxPlainData (ConvertFrom-Json -InputObject $line) } catch { continue }
        if ($parsed -is [System.Collections.IDictionary] -and $parsed.Contains('schema') -and $parsed['schema'] -eq $script:StateSchema) {
            return $parsed
        }
    }
    throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadPreviousState' -Message (
            'PULUMI_COMMAND_STDOUT does not hold the JSON line of a previous ucx-mail Exchange run, so it is unclear what to ' +
            'restore; if that state was edited by hand, remove the command resource with `pulumi state delete <urn>` and ' +
            'run `pulumi up` again, which starts from what it finds.'))
}

function Get-UcxExchangeServicePrincipalList {
    <#
    .SYNOPSIS
        Lists every Exchange service principal (Get-ServicePrincipal with an empty -Identity lists them all).
    #>
    [CmdletBinding()]
    param()
    , @(Invoke-UcxExchangeStep -Step 'Get-ServicePrincipal' -Action { @(Get-ServicePrincipal) } | Where-Object { $null -ne $_ })
}

function Get-UcxExchangeServicePrincipal {
    <#
    .SYNOPSIS
        Finds the Exchange service principal for an application id in a list, or lists them first.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $AppId, [AllowNull()] [AllowEmptyCollection()] [object[]] $All)
    if (-not $PSBoundParameters.ContainsKey('All')) { $All = Get-UcxExchangeServicePrincipalList }
    @($All | Where-Object { $null -ne $_ -and [string]$_.AppId -eq $AppId }) | Select-Object -First 1
}

function Get-UcxPrincipalKey {
    <#
    .SYNOPSIS
        The values under which Get-MailboxPermission may list a principal: its ids and every display name only it has.
    .DESCRIPTION
        Exchange shows a service principal's grant under the principal's display name (the vendor's troubleshooting
        step 5), so a name counts only while no other service principal carries it too.
    #>
    [CmdletBinding()]
    [OutputType([string[]])]
    param(
        [Parameter(Mandatory)] [string] $AppId,
        [Parameter(Mandatory)] [string] $ObjectId,
        [AllowEmptyCollection()] [string[]] $Name = @(),
        [AllowNull()] [AllowEmptyCollection()] [object[]] $All = @()
    )
    $taken = @($All | Where-Object { $null -ne $_ -and [string]$_.AppId -ne $AppId } | ForEach-Object { ([string]$_.DisplayName).ToLowerInvariant() })
    $keys = @($ObjectId, $AppId) + @($Name | Where-Object { -not [string]::IsNullOrWhiteSpace($_) -and $taken -notcontains $_.ToLowerInvariant() })
    , @($keys | Select-Object -Unique)
}

function Test-UcxFullAccess {
    <#
    .SYNOPSIS
        Tells whether the principal holds an explicit, non-deny FullAccess permission on the mailbox.
    .DESCRIPTION
        Reads the whole list like the vendor's troubleshooting step 5 and matches the User column against the principal's
        keys: the -User filter of Get-MailboxPermission is documented for users and groups only, not service principals.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [string] $Mailbox, [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $PrincipalKey)
    if ($PrincipalKey.Count -eq 0) { return $false }
    $entries = Invoke-UcxExchangeStep -Step "Get-MailboxPermission $Mailbox" -Action { @(Get-MailboxPermission -Identity $Mailbox) }
    $granted = @($entries | Where-Object {
            $null -ne $_ -and -not $_.Deny -and -not $_.IsInherited -and (@($_.AccessRights) -join ',') -match 'FullAccess' -and
            $PrincipalKey -contains ([string]$_.User).Trim()
        })
    $granted.Count -gt 0
}

function Get-UcxMailboxSmtpSetting {
    <#
    .SYNOPSIS
        Reads a mailbox's SmtpClientAuthenticationDisabled ($null, $true or $false); a missing mailbox is a config error.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Mailbox, [switch] $AllowMissing)
    try {
        $casMailbox = Invoke-UcxExchangeStep -Step "Get-CASMailbox $Mailbox" -Action { Get-CASMailbox -Identity $Mailbox }
    } catch {
        if ($_.Exception.Message -notmatch "couldn't be found|could not be found|wasn't found|was not found") { throw }
        if ($AllowMissing) { return @{ Exists = $false; Value = $null } }
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.MailboxNotFound' -Message (
                "Mailbox '$Mailbox' was not found in Exchange Online; fix the 'mailboxes' config key (it must list existing " +
                'mailboxes by primary SMTP address) and run `pulumi up` again.'))
    }
    @{ Exists = $true; Value = $casMailbox.SmtpClientAuthenticationDisabled }
}

function Add-UcxChange {
    <#
    .SYNOPSIS
        Records one write in the run report.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Report, [Parameter(Mandatory)] [string] $Cmdlet, [Parameter(Mandatory)] [string] $Identity, [System.Collections.IDictionary] $Detail = @{})
    $change = [ordered]@{ cmdlet = $Cmdlet; identity = $Identity }
    foreach ($key in $Detail.Keys) { $change[$key] = $Detail[$key] }
    $Report.changed.Add($change)
    Write-UcxLog "$Cmdlet $Identity"
}

function Find-UcxRecordedPrincipal {
    <#
    .SYNOPSIS
        Finds the service principal a previous run recorded, and the names its FullAccess lines may show.
    .OUTPUTS
        An object with Principal ($null when it is gone) and Keys (empty when it is gone).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $AppId, [string] $ObjectId)
    $all = Get-UcxExchangeServicePrincipalList
    $principal = Get-UcxExchangeServicePrincipal -AppId $AppId -All $all
    $keys = @()
    if ($null -ne $principal) { $keys = Get-UcxPrincipalKey -AppId $AppId -ObjectId $ObjectId -Name @([string]$principal.DisplayName) -All $all }
    [pscustomobject]@{ Principal = $principal; Keys = $keys }
}

function Remove-UcxPrincipalGrant {
    <#
    .SYNOPSIS
        Takes back what an earlier run granted to a principal: FullAccess it added and the service principal it created.
    .DESCRIPTION
        Only grants that were absent before ucx-mail first ran are removed; a pre-existing principal gets its old name back.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] $Previous, [Parameter(Mandatory)] $Report)
    $objectId = [string]$Previous['servicePrincipalObjectId']
    $appId = [string]$Previous['appId']
    $recorded = Find-UcxRecordedPrincipal -AppId $appId -ObjectId $objectId
    $principal = $recorded.Principal
    $keys = $recorded.Keys
    foreach ($mailbox in @($Previous['previous']['mailboxes'].Keys)) {
        if ($null -eq $principal) { break }
        $original = $Previous['previous']['mailboxes'][$mailbox]
        if (-not $original.Contains('fullAccess') -or $original['fullAccess']) { continue }
        $smtp = Get-UcxMailboxSmtpSetting -Mailbox $mailbox -AllowMissing
        if (-not $smtp.Exists) { Write-UcxLog "mailbox $mailbox no longer exists; nothing to revoke"; continue }
        if (-not (Test-UcxFullAccess -Mailbox $mailbox -PrincipalKey $keys)) { continue }
        if ($PSCmdlet.ShouldProcess($mailbox, "Remove FullAccess of $objectId")) {
            Invoke-UcxExchangeStep -Step "Remove-MailboxPermission $mailbox" -RetryNotFound -Action {
                Remove-MailboxPermission -Identity $mailbox -User $objectId -AccessRights FullAccess -Confirm:$false | Out-Null
            }
            Add-UcxChange -Report $Report -Cmdlet 'Remove-MailboxPermission' -Identity $mailbox -Detail @{ user = $objectId }
        }
    }
    $originalPrincipal = $Previous['previous']['servicePrincipal']
    if ($null -eq $principal -or $null -eq $originalPrincipal) { return }
    if (-not $originalPrincipal['present']) {
        # By AppId: the object id property is ObjectId in current output and ServiceId in older output.
        if ($PSCmdlet.ShouldProcess($appId, 'Remove-ServicePrincipal')) {
            Invoke-UcxExchangeStep -Step 'Remove-ServicePrincipal' -RetryNotFound -Action {
                Remove-ServicePrincipal -Identity $appId -Confirm:$false | Out-Null
            }
            Add-UcxChange -Report $Report -Cmdlet 'Remove-ServicePrincipal' -Identity $appId
        }
    } elseif ([string]$principal.DisplayName -cne [string]$originalPrincipal['displayName']) {
        $name = [string]$originalPrincipal['displayName']
        if ($PSCmdlet.ShouldProcess($appId, "Rename service principal back to '$name'")) {
            Invoke-UcxExchangeStep -Step 'Set-ServicePrincipal' -RetryNotFound -Action {
                Set-ServicePrincipal -Identity $appId -DisplayName $name -Confirm:$false | Out-Null
            }
            Add-UcxChange -Report $Report -Cmdlet 'Set-ServicePrincipal' -Identity $appId -Detail @{ displayName = $name }
        }
    }
}

function Set-UcxMailboxSmtpSetting {
    <#
    .SYNOPSIS
        Sets a mailbox's SmtpClientAuthenticationDisabled to a value ($null included) when it differs.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [string] $Mailbox, [AllowNull()] $Current, [AllowNull()] $Desired, [Parameter(Mandatory)] $Report)
    if (Test-UcxSameSetting $Current $Desired) { return }
    if ($PSCmdlet.ShouldProcess($Mailbox, "Set-CASMailbox -SmtpClientAuthenticationDisabled $Desired")) {
        Invoke-UcxExchangeStep -Step "Set-CASMailbox $Mailbox" -Action {
            Set-CASMailbox -Identity $Mailbox -SmtpClientAuthenticationDisabled $Desired -Confirm:$false | Out-Null
        }
        Add-UcxChange -Report $Report -Cmdlet 'Set-CASMailbox' -Identity $Mailbox -Detail @{ smtpClientAuthenticationDisabled = $Desired }
    }
}

function Set-UcxOrganizationSmtpSetting {
    <#
    .SYNOPSIS
        Sets the organization-wide SmtpClientAuthenticationDisabled (Set-TransportConfig) when it differs.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([AllowNull()] $Current, [AllowNull()] $Desired, [Parameter(Mandatory)] $Report)
    if ($null -eq $Desired -or (Test-UcxSameSetting $Current $Desired)) { return }
    if ($PSCmdlet.ShouldProcess('organization', "Set-TransportConfig -SmtpClientAuthenticationDisabled $Desired")) {
        Invoke-UcxExchangeStep -Step 'Set-TransportConfig' -Action {
            Set-TransportConfig -SmtpClientAuthenticationDisabled ([bool]$Desired) -Confirm:$false | Out-Null
        }
        Add-UcxChange -Report $Report -Cmdlet 'Set-TransportConfig' -Identity 'organization' -Detail @{ smtpClientAuthenticationDisabled = [bool]$Desired }
    }
}

function New-UcxReport {
    <#
    .SYNOPSIS
        Creates the skeleton of the one JSON line a run prints.
    #>
    [CmdletBinding()]
    param([string] $Operation, [string] $AppId, [string] $ObjectId, [string] $Name, [string[]] $Mailboxes, [string] $SmtpAuth)
    [ordered]@{
        schema                   = $script:StateSchema
        operation                = $Operation
        appId                    = $AppId
        servicePrincipalObjectId = $ObjectId
        servicePrincipalName     = $Name
        smtpAuth                 = $SmtpAuth
        mailboxes                = @($Mailboxes)
        found                    = [ordered]@{ servicePrincipal = $null; mailboxes = [ordered]@{}; organization = $null }
        changed                  = New-Object System.Collections.Generic.List[object]
        previous                 = [ordered]@{ servicePrincipal = $null; mailboxes = [ordered]@{} }
    }
}

function Sync-UcxExchangeAccess {
    <#
    .SYNOPSIS
        Brings Exchange Online to the desired state for UCX Suite mail access, writing only what differs.
    .DESCRIPTION
        Needs an open Exchange Online session. Ensures the service principal (New-ServicePrincipal -AppId -ObjectId
        -DisplayName), FullAccess without auto-mapping on every mailbox, and SMTP client authentication per SmtpAuth.
        With -PreviousState (the JSON of the last run) it also revokes mailboxes that left the configuration and
        restores their SMTP setting, and it carries the values found before the first run forward so delete can
        restore them exactly. Returns the report that the entry script prints as one JSON line.
    .PARAMETER SmtpAuth
        mailbox: Set-CASMailbox per mailbox; organization: Set-TransportConfig; unchanged: touch nothing.
    .EXAMPLE
        Sync-UcxExchangeAccess -AppId $appId -ServicePrincipalObjectId $objectId -ServicePrincipalName UCXSuiteMail -Mailboxes fax@contoso.com -SmtpAuth mailbox
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)] [string] $AppId,
        [Parameter(Mandatory)] [string] $ServicePrincipalObjectId,
        [Parameter(Mandatory)] [string] $ServicePrincipalName,
        [Parameter(Mandatory)] [string[]] $Mailboxes,
        [Parameter(Mandatory)] [ValidateSet('mailbox', 'organization', 'unchanged')] [string] $SmtpAuth,
        [System.Collections.IDictionary] $PreviousState
    )
    $report = New-UcxReport -Operation 'apply' -AppId $AppId -ObjectId $ServicePrincipalObjectId -Name $ServicePrincipalName -Mailboxes $Mailboxes -SmtpAuth $SmtpAuth
    $previousMailboxes = [ordered]@{}
    $previousPrincipal = $null
    $previousOrganization = $null
    if ($null -ne $PreviousState) {
        $samePrincipal = ([string]$PreviousState['appId'] -eq $AppId -and [string]$PreviousState['servicePrincipalObjectId'] -eq $ServicePrincipalObjectId)
        if (-not $samePrincipal) {
            # A different app now holds the access: take back what was granted to the old one, keep the SMTP originals.
            Remove-UcxPrincipalGrant -Previous $PreviousState -Report $report -WhatIf:$WhatIfPreference
        } else {
            $previousPrincipal = $PreviousState['previous']['servicePrincipal']
        }
        foreach ($mailbox in $PreviousState['previous']['mailboxes'].Keys) {
            $entry = [ordered]@{}
            foreach ($key in $PreviousState['previous']['mailboxes'][$mailbox].Keys) {
                if ($key -eq 'fullAccess' -and -not $samePrincipal) { continue }
                $entry[$key] = $PreviousState['previous']['mailboxes'][$mailbox][$key]
            }
            $previousMailboxes[$mailbox] = $entry
        }
        if ($PreviousState['previous'].Contains('organization')) { $previousOrganization = $PreviousState['previous']['organization'] }
    }

    # Service principal: look it up by AppId, create it with -ObjectId (never the deprecated -ServiceId), fix its name.
    $allPrincipals = Get-UcxExchangeServicePrincipalList
    $principal = Get-UcxExchangeServicePrincipal -AppId $AppId -All $allPrincipals
    # Get-MailboxPermission names a principal only by display name, so two principals with one name cannot be told apart.
    $namesake = @($allPrincipals | Where-Object { $null -ne $_ -and [string]$_.AppId -ne $AppId -and ([string]$_.DisplayName) -eq $ServicePrincipalName }) | Select-Object -First 1
    if ($null -ne $namesake) {
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.NameTaken' -Message (
                "Another Exchange service principal (AppId $([string]$namesake.AppId)) is already named '$([string]$namesake.DisplayName)'. " +
                'Get-MailboxPermission lists principals by display name, so ucx-mail could not tell their mailbox grants apart; ' +
                'set a different exchangeServicePrincipalName and run `pulumi up` again (nothing was granted to this app).'))
    }
    $report.found.servicePrincipal = [ordered]@{ present = ($null -ne $principal); displayName = $(if ($principal) { [string]$principal.DisplayName } else { $null }) }
    if ($null -ne $previousPrincipal) { $report.previous.servicePrincipal = $previousPrincipal }
    else { $report.previous.servicePrincipal = $report.found.servicePrincipal }
    if ($null -eq $principal) {
        if ($PSCmdlet.ShouldProcess($AppId, "New-ServicePrincipal -ObjectId $ServicePrincipalObjectId -DisplayName $ServicePrincipalName")) {
            $created = $true
            try {
                # The enterprise app may be minutes old: Exchange may not know it yet.
                Invoke-UcxExchangeStep -Step 'New-ServicePrincipal' -RetryNotFound -Action {
                    New-ServicePrincipal -AppId $AppId -ObjectId $ServicePrincipalObjectId -DisplayName $ServicePrincipalName | Out-Null
                }
            } catch {
                # Listing lags behind creation, so "already exists" means a previous attempt already did this write.
                if ($_.Exception.Message -notmatch 'already exists|already being used|duplicate') { throw }
                $created = $false
            }
            if ($created) { Add-UcxChange -Report $report -Cmdlet 'New-ServicePrincipal' -Identity $AppId -Detail @{ objectId = $ServicePrincipalObjectId; displayName = $ServicePrincipalName } }
        }
    } elseif ([string]$principal.DisplayName -cne $ServicePrincipalName) {
        # By AppId: the object id property is ObjectId in current output and ServiceId in older output.
        if ($PSCmdlet.ShouldProcess($AppId, "Set-ServicePrincipal -DisplayName $ServicePrincipalName")) {
            Invoke-UcxExchangeStep -Step 'Set-ServicePrincipal' -RetryNotFound -Action {
                Set-ServicePrincipal -Identity $AppId -DisplayName $ServicePrincipalName -Confirm:$false | Out-Null
            }
            Add-UcxChange -Report $report -Cmdlet 'Set-ServicePrincipal' -Identity $AppId -Detail @{ displayName = $ServicePrincipalName }
        }
    }
    # A grant can still be listed under the old name for a moment after a rename, so both names count.
    $principalNames = @($ServicePrincipalName)
    if ($null -ne $principal) { $principalNames += [string]$principal.DisplayName }
    $principalKey = Get-UcxPrincipalKey -AppId $AppId -ObjectId $ServicePrincipalObjectId -Name $principalNames -All $allPrincipals

    # A principal that ucx-mail created can only hold grants that ucx-mail made, even ones from a run that failed.
    $principalWasPresent = [bool]$report.previous.servicePrincipal['present']
    $principalExists = ($null -ne $principal) -or -not $WhatIfPreference

    # Mailboxes in the configuration, first FullAccess without auto-mapping (the steps that wait for propagation)...
    $smtpFound = @{}
    foreach ($mailbox in $Mailboxes) {
        $smtp = Get-UcxMailboxSmtpSetting -Mailbox $mailbox
        $smtpFound[$mailbox] = $smtp.Value
        $hasFullAccess = $false
        if ($principalExists) { $hasFullAccess = Test-UcxFullAccess -Mailbox $mailbox -PrincipalKey $principalKey }
        $report.found.mailboxes[$mailbox] = [ordered]@{ fullAccess = $hasFullAccess; smtpClientAuthenticationDisabled = $smtp.Value }
        $original = $(if ($previousMailboxes.Contains($mailbox)) { $previousMailboxes[$mailbox] } else { [ordered]@{} })
        if (-not $original.Contains('fullAccess')) { $original['fullAccess'] = ($hasFullAccess -and $principalWasPresent) }
        if ($SmtpAuth -eq 'mailbox' -and -not $original.Contains('smtpClientAuthenticationDisabled')) { $original['smtpClientAuthenticationDisabled'] = $smtp.Value }
        $report.previous.mailboxes[$mailbox] = $original
        if (-not $hasFullAccess -and $PSCmdlet.ShouldProcess($mailbox, "Add-MailboxPermission FullAccess for $ServicePrincipalObjectId")) {
            # Right after New-ServicePrincipal the principal can be "not found" for minutes: retry within the budget.
            $addWarnings = New-Object System.Collections.Generic.List[object]
            Invoke-UcxExchangeStep -Step "Add-MailboxPermission $mailbox" -RetryNotFound -Action {
                Add-MailboxPermission -Identity $mailbox -User $ServicePrincipalObjectId -AccessRights FullAccess -AutoMapping:$false -Confirm:$false -WarningAction SilentlyContinue -WarningVariable addWarning | Out-Null
                foreach ($warning in @($addWarning)) { $addWarnings.Add($warning) }
            }
            # Exchange only warns when the grant exists already (the list had not shown it): nothing was written.
            $alreadyPresent = @($addWarnings | Where-Object { [string]$_ -match 'already present' }).Count -gt 0
            foreach ($warning in $addWarnings) { Write-UcxLog "Add-MailboxPermission $mailbox`: $warning" }
            if ($alreadyPresent) { $report.found.mailboxes[$mailbox]['fullAccess'] = $true }
            else { Add-UcxChange -Report $report -Cmdlet 'Add-MailboxPermission' -Identity $mailbox -Detail @{ user = $ServicePrincipalObjectId; accessRights = 'FullAccess' } }
        }
    }
    # ...then SMTP AUTH, which never waits: a run that gives up above has not yet changed a value it must remember.
    foreach ($mailbox in $Mailboxes) {
        $original = $report.previous.mailboxes[$mailbox]
        if ($SmtpAuth -eq 'mailbox') {
            Set-UcxMailboxSmtpSetting -Mailbox $mailbox -Current $smtpFound[$mailbox] -Desired $false -Report $report -WhatIf:$WhatIfPreference
        } elseif ($original.Contains('smtpClientAuthenticationDisabled')) {
            Set-UcxMailboxSmtpSetting -Mailbox $mailbox -Current $smtpFound[$mailbox] -Desired $original['smtpClientAuthenticationDisabled'] -Report $report -WhatIf:$WhatIfPreference
            $original.Remove('smtpClientAuthenticationDisabled')
        }
    }

    # Mailboxes that left the configuration: revoke what ucx-mail granted and restore their SMTP setting.
    foreach ($mailbox in @($previousMailboxes.Keys | Where-Object { $Mailboxes -notcontains $_ })) {
        Restore-UcxMailbox -Mailbox $mailbox -Original $previousMailboxes[$mailbox] -User $ServicePrincipalObjectId -PrincipalKey $(if ($principalExists) { $principalKey } else { @() }) -Report $report -WhatIf:$WhatIfPreference
    }

    # Organization-wide SMTP AUTH only when asked for; otherwise put back what an earlier run changed.
    if ($SmtpAuth -eq 'organization' -or $null -ne $previousOrganization) {
        $current = Invoke-UcxExchangeStep -Step 'Get-TransportConfig' -Action { (Get-TransportConfig).SmtpClientAuthenticationDisabled }
        $report.found.organization = [ordered]@{ smtpClientAuthenticationDisabled = $current }
        if ($SmtpAuth -eq 'organization') {
            $report.previous['organization'] = $(if ($null -ne $previousOrganization) { $previousOrganization } else { [ordered]@{ smtpClientAuthenticationDisabled = $current } })
            Set-UcxOrganizationSmtpSetting -Current $current -Desired $false -Report $report -WhatIf:$WhatIfPreference
        } else {
            Set-UcxOrganizationSmtpSetting -Current $current -Desired $previousOrganization['smtpClientAuthenticationDisabled'] -Report $report -WhatIf:$WhatIfPreference
        }
    }
    $report
}

function Restore-UcxMailbox {
    <#
    .SYNOPSIS
        Returns one mailbox to how ucx-mail found it: FullAccess removed if ucx-mail added it, SMTP setting restored.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)] [string] $Mailbox,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Original,
        [Parameter(Mandatory)] [string] $User,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $PrincipalKey,
        [Parameter(Mandatory)] $Report
    )
    $smtp = Get-UcxMailboxSmtpSetting -Mailbox $Mailbox -AllowMissing
    if (-not $smtp.Exists) { Write-UcxLog "mailbox $Mailbox no longer exists; nothing to restore"; return }
    $found = [ordered]@{ smtpClientAuthenticationDisabled = $smtp.Value }
    if ($Original.Contains('fullAccess') -and -not $Original['fullAccess']) {
        $hasFullAccess = Test-UcxFullAccess -Mailbox $Mailbox -PrincipalKey $PrincipalKey
        $found['fullAccess'] = $hasFullAccess
        if ($hasFullAccess -and $PSCmdlet.ShouldProcess($Mailbox, "Remove FullAccess of $User")) {
            Invoke-UcxExchangeStep -Step "Remove-MailboxPermission $Mailbox" -RetryNotFound -Action {
                Remove-MailboxPermission -Identity $Mailbox -User $User -AccessRights FullAccess -Confirm:$false | Out-Null
            }
            Add-UcxChange -Report $Report -Cmdlet 'Remove-MailboxPermission' -Identity $Mailbox -Detail @{ user = $User }
        }
    }
    $Report.found.mailboxes[$Mailbox] = $found
    if ($Original.Contains('smtpClientAuthenticationDisabled')) {
        Set-UcxMailboxSmtpSetting -Mailbox $Mailbox -Current $smtp.Value -Desired $Original['smtpClientAuthenticationDisabled'] -Report $Report -WhatIf:$WhatIfPreference
    }
}

function Remove-UcxExchangeAccess {
    <#
    .SYNOPSIS
        Undoes everything a previous run recorded: FullAccess it added, SMTP settings it changed, the principal it created.
    .DESCRIPTION
        Works only from the previous run's JSON (PULUMI_COMMAND_STDOUT on delete), so it restores the exact values found
        before ucx-mail first ran, $null ("inherit the organization setting") included. Without it, nothing is touched.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([System.Collections.IDictionary] $PreviousState)
    if ($null -eq $PreviousState) {
        Write-UcxLog 'no previous run recorded, so there is nothing to undo'
        $empty = New-UcxReport -Operation 'remove' -Mailboxes @() -SmtpAuth 'unchanged'
        $empty.previous = [ordered]@{}
        return $empty
    }
    $objectId = [string]$PreviousState['servicePrincipalObjectId']
    $report = New-UcxReport -Operation 'remove' -AppId ([string]$PreviousState['appId']) -ObjectId $objectId -Name ([string]$PreviousState['servicePrincipalName']) -Mailboxes @() -SmtpAuth ([string]$PreviousState['smtpAuth'])
    $report.previous = [ordered]@{}
    $appId = [string]$PreviousState['appId']
    $recorded = Find-UcxRecordedPrincipal -AppId $appId -ObjectId $objectId
    $principal = $recorded.Principal
    $keys = $recorded.Keys
    foreach ($mailbox in @($PreviousState['previous']['mailboxes'].Keys)) {
        Restore-UcxMailbox -Mailbox $mailbox -Original $PreviousState['previous']['mailboxes'][$mailbox] -User $objectId -PrincipalKey $keys -Report $report -WhatIf:$WhatIfPreference
    }
    if ($PreviousState['previous'].Contains('organization')) {
        $current = Invoke-UcxExchangeStep -Step 'Get-TransportConfig' -Action { (Get-TransportConfig).SmtpClientAuthenticationDisabled }
        $report.found.organization = [ordered]@{ smtpClientAuthenticationDisabled = $current }
        Set-UcxOrganizationSmtpSetting -Current $current -Desired $PreviousState['previous']['organization']['smtpClientAuthenticationDisabled'] -Report $report -WhatIf:$WhatIfPreference
    }
    $report.found.servicePrincipal = [ordered]@{ present = ($null -ne $principal); displayName = $(if ($principal) { [string]$principal.DisplayName } else { $null }) }
    $withoutMailboxes = [ordered]@{}
    foreach ($key in $PreviousState.Keys) { $withoutMailboxes[$key] = $PreviousState[$key] }
    $withoutMailboxes['previous'] = [ordered]@{ servicePrincipal = $PreviousState['previous']['servicePrincipal']; mailboxes = [ordered]@{} }
    Remove-UcxPrincipalGrant -Previous $withoutMailboxes -Report $report -WhatIf:$WhatIfPreference
    $report
}

function Get-UcxExchangeSetting {
    <#
    .SYNOPSIS
        Reads and validates the run's settings from environment variables; throws one sentence naming every bad variable.
    .PARAMETER Environment
        The variables to read (defaults to the process environment); tests pass a hashtable.
    #>
    [CmdletBinding()]
    param([System.Collections.IDictionary] $Environment)
    if ($null -eq $Environment) {
        $Environment = @{}
        foreach ($entry in [Environment]::GetEnvironmentVariables().GetEnumerator()) { $Environment[[string]$entry.Key] = [string]$entry.Value }
    }
    $read = { param($name) if ($Environment.Contains($name) -and -not [string]::IsNullOrWhiteSpace([string]$Environment[$name])) { ([string]$Environment[$name]).Trim() } else { $null } }
    $problems = New-Object System.Collections.Generic.List[string]
    $guid = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

    $auth = & $read 'UCX_EXCHANGE_AUTH'
    if ($auth -notin @('certificate', 'clientSecret', 'accessToken', 'managedIdentity')) {
        $problems.Add("UCX_EXCHANGE_AUTH must be certificate, clientSecret, accessToken or managedIdentity (exchangeAuth; use the exported exchangeSetupScript for manual)")
    }
    $appId = & $read 'UCX_EXCHANGE_APP_ID'
    if ($appId -notmatch $guid) { $problems.Add('UCX_EXCHANGE_APP_ID must be the application (client) id GUID') }
    $objectId = & $read 'UCX_EXCHANGE_SP_OBJECT_ID'
    if ($objectId -notmatch $guid) { $problems.Add('UCX_EXCHANGE_SP_OBJECT_ID must be the enterprise application object id GUID') }
    $name = & $read 'UCX_EXCHANGE_SP_DISPLAY_NAME'
    if ($null -eq $name) { $problems.Add('UCX_EXCHANGE_SP_DISPLAY_NAME must be set (exchangeServicePrincipalName)') }
    $smtpAuth = & $read 'UCX_EXCHANGE_SMTP_AUTH'
    if ($smtpAuth -notin @('mailbox', 'organization', 'unchanged')) { $problems.Add('UCX_EXCHANGE_SMTP_AUTH must be mailbox, organization or unchanged (smtpAuth)') }
    $mailboxes = @()
    $mailboxesJson = & $read 'UCX_EXCHANGE_MAILBOXES'
    try {
        $parsed = @(ConvertFrom-Json -InputObject $mailboxesJson)
        $mailboxes = @($parsed | ForEach-Object { ([string]$_).Trim().ToLowerInvariant() } | Select-Object -Unique)
        if ($mailboxes.Count -eq 0 -or @($mailboxes | Where-Object { $_ -notmatch '^[^@\s]+@[^@\s]+\.[^@\s]+$' }).Count -gt 0) { throw 'bad' }
    } catch {
        $problems.Add('UCX_EXCHANGE_MAILBOXES must be a JSON array of one or more e-mail addresses (mailboxes)')
    }
    $organization = & $read 'UCX_EXCHANGE_ORGANIZATION'
    if ($organization -notmatch '^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$') { $problems.Add('UCX_EXCHANGE_ORGANIZATION must be the tenant domain such as contoso.onmicrosoft.com (exchangeOrganization)') }
    $maxWait = 10
    $maxWaitText = & $read 'UCX_EXCHANGE_MAX_WAIT_MINUTES'
    if ($null -ne $maxWaitText) {
        if ($maxWaitText -match '^\d{1,3}$' -and [int]$maxWaitText -ge 1 -and [int]$maxWaitText -le 120) { $maxWait = [int]$maxWaitText }
        else { $problems.Add('UCX_EXCHANGE_MAX_WAIT_MINUTES must be a whole number of minutes from 1 to 120 (exchangeMaxWaitMinutes)') }
    }
    $settings = [ordered]@{
        Auth = $auth; AppId = $appId; ServicePrincipalObjectId = $objectId; ServicePrincipalName = $name; SmtpAuth = $smtpAuth
        Mailboxes = $mailboxes; Organization = $organization; MaxWaitMinutes = $maxWait
        AutomationAppId = & $read 'UCX_EXCHANGE_AUTOMATION_APP_ID'; CertificatePath = & $read 'UCX_EXCHANGE_CERTIFICATE_PATH'
        CertificatePassword = $(if ($Environment.Contains('UCX_EXCHANGE_CERTIFICATE_PASSWORD')) { [string]$Environment['UCX_EXCHANGE_CERTIFICATE_PASSWORD'] } else { $null })
        ClientSecret = & $read 'UCX_EXCHANGE_CLIENT_SECRET'; AccessToken = & $read 'EXO_ACCESS_TOKEN'; AdminUpn = & $read 'UCX_EXCHANGE_ADMIN_UPN'
        AuthorityBase = $script:DefaultAuthorityBase; TimeScale = 1.0
    }
    switch ($auth) {
        'certificate' {
            if ($settings.AutomationAppId -notmatch $guid) { $problems.Add('UCX_EXCHANGE_AUTOMATION_APP_ID must be the automation app id GUID (exchangeAppId)') }
            if ($null -eq $settings.CertificatePath) { $problems.Add('UCX_EXCHANGE_CERTIFICATE_PATH must name the PFX file (exchangeCertificatePath)') }
            elseif (-not (Test-Path -LiteralPath $settings.CertificatePath -PathType Leaf)) { $problems.Add("UCX_EXCHANGE_CERTIFICATE_PATH names '$($settings.CertificatePath)', which is not a file (exchangeCertificatePath)") }
        }
        'clientSecret' {
            if ($settings.AutomationAppId -notmatch $guid) { $problems.Add('UCX_EXCHANGE_AUTOMATION_APP_ID must be the automation app id GUID (exchangeAppId)') }
            if ($null -eq $settings.ClientSecret) { $problems.Add('UCX_EXCHANGE_CLIENT_SECRET must be set (pulumi config set --secret exchangeClientSecret)') }
        }
        'accessToken' {
            if ($null -eq $settings.AccessToken) { $problems.Add('EXO_ACCESS_TOKEN must hold an Exchange Online access token in the environment of pulumi up (exchangeAuth accessToken)') }
        }
    }
    # Test-only knobs: a loopback token endpoint and a time scale; refused for anything else so secrets never leave.
    $authority = & $read 'UCX_EXCHANGE_TEST_AUTHORITY'
    if ($null -ne $authority) {
        if ($authority -match '^http://(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?/?$') { $settings.AuthorityBase = $authority.TrimEnd('/') }
        else { $problems.Add('UCX_EXCHANGE_TEST_AUTHORITY is for tests only and must be a loopback http URL; unset it') }
    }
    $scale = & $read 'UCX_EXCHANGE_TEST_TIME_SCALE'
    if ($null -ne $scale) {
        $value = 0.0
        if ([double]::TryParse($scale, [System.Globalization.NumberStyles]::Float, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$value) -and $value -gt 0 -and $value -le 1) { $settings.TimeScale = $value }
        else { $problems.Add('UCX_EXCHANGE_TEST_TIME_SCALE is for tests only and must be a number in (0, 1]; unset it') }
    }
    foreach ($secret in @($settings.CertificatePassword, $settings.ClientSecret, $settings.AccessToken)) { if ($secret) { $script:SecretsToHide.Add($secret) } }
    if ($problems.Count -gt 0) {
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message ('Invalid Exchange step settings: ' + ($problems -join '; ') + '.'))
    }
    $settings
}

function Get-UcxExchangeAccessToken {
    <#
    .SYNOPSIS
        Gets an app-only Exchange Online token (client credentials for https://outlook.office365.com/.default).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Organization,
        [Parameter(Mandatory)] [string] $ClientId,
        [Parameter(Mandatory)] [string] $ClientSecret,
        [string] $AuthorityBase = $script:DefaultAuthorityBase
    )
    $script:SecretsToHide.Add($ClientSecret)
    $uri = "$AuthorityBase/$([Uri]::EscapeDataString($Organization))/oauth2/v2.0/token"
    $body = @{ client_id = $ClientId; client_secret = $ClientSecret; scope = $script:ExchangeScope; grant_type = 'client_credentials' }
    try {
        $response = Invoke-RestMethod -Method Post -Uri $uri -Body $body -ContentType 'application/x-www-form-urlencoded'
    } catch {
        $detail = ''
        if ($_.ErrorDetails -and $_.ErrorDetails.Message) {
            try { $detail = [string](ConvertFrom-Json -InputObject $_.ErrorDetails.Message).error_description } catch { $detail = $_.ErrorDetails.Message }
        }
        if (-not $detail) { $detail = $_.Exception.Message }
        $firstLine = (Hide-UcxSecret $detail) -split "`r?`n" | Select-Object -First 1
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.TokenFailed' -Message (
                "Could not get an Exchange Online token for app $ClientId in $Organization ($firstLine); check exchangeAppId, " +
                'exchangeOrganization and that exchangeClientSecret is current.'))
    }
    $token = [string]$response.access_token
    if ([string]::IsNullOrEmpty($token)) {
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.TokenFailed' -Message "The token endpoint for $Organization answered without an access_token; check exchangeOrganization.")
    }
    $script:SecretsToHide.Add($token)
    $token
}

function Connect-UcxExchangeOnline {
    <#
    .SYNOPSIS
        Opens the one Exchange Online session of a run, in the mode chosen by exchangeAuth, without a banner.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Settings)
    $parameters = @{ ShowBanner = $false }
    switch ($Settings.Auth) {
        'certificate' {
            $parameters.AppId = $Settings.AutomationAppId
            $parameters.CertificateFilePath = (Resolve-Path -LiteralPath $Settings.CertificatePath).ProviderPath
            if (-not [string]::IsNullOrEmpty($Settings.CertificatePassword)) {
                $parameters.CertificatePassword = ConvertTo-SecureString -String $Settings.CertificatePassword -AsPlainText -Force
            }
            $parameters.Organization = $Settings.Organization
        }
        'clientSecret' {
            $parameters.AccessToken = Get-UcxExchangeAccessToken -Organization $Settings.Organization -ClientId $Settings.AutomationAppId -ClientSecret $Settings.ClientSecret -AuthorityBase $Settings.AuthorityBase
            $parameters.Organization = $Settings.Organization
        }
        'accessToken' {
            $parameters.AccessToken = $Settings.AccessToken
            # A delegated token belongs to an admin user; an app-only token names the organization instead.
            if ($Settings.AdminUpn) { $parameters.UserPrincipalName = $Settings.AdminUpn } else { $parameters.Organization = $Settings.Organization }
        }
        'managedIdentity' {
            $parameters.ManagedIdentity = $true
            $parameters.Organization = $Settings.Organization
        }
    }
    if (-not $PSCmdlet.ShouldProcess($Settings.Organization, "Connect-ExchangeOnline ($($Settings.Auth))")) { return }
    try {
        Invoke-UcxQuietly { Connect-ExchangeOnline @parameters }
    } catch {
        $firstLine = (Hide-UcxSecret $_.Exception.Message) -split "`r?`n" | Select-Object -First 1
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.ConnectFailed' -Message (
                "Could not connect to Exchange Online for $($Settings.Organization) with exchangeAuth $($Settings.Auth) ($firstLine); " +
                'check the exchange* config keys and that the automation identity holds Exchange.ManageAsApp and the Exchange Administrator role.'))
    }
}

function Invoke-UcxMailExchange {
    <#
    .SYNOPSIS
        The entry point the Pulumi command resource runs: read settings, connect once, apply or remove, print one JSON line.
    .PARAMETER Operation
        apply (create and update) or remove (delete).
    .OUTPUTS
        The process exit code: 0 done, 1 a step failed, 2 bad input, 3 could not connect.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Operation)
    try {
        if ($Operation -notin @('apply', 'remove')) {
            throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message "The operation must be 'apply' or 'remove' (got '$Operation'), given as the script's argument or UCX_EXCHANGE_OPERATION.")
        }
        $settings = Get-UcxExchangeSetting
        $previousState = ConvertFrom-UcxExchangeState -Json $env:PULUMI_COMMAND_STDOUT
        Reset-UcxRetryBudget -MaxWaitMinutes $settings.MaxWaitMinutes -TimeScale $settings.TimeScale
        try { Invoke-UcxQuietly { Import-Module ExchangeOnlineManagement -ErrorAction Stop -Verbose:$false } }
        catch {
            throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message 'The ExchangeOnlineManagement module is not installed; run: Install-Module ExchangeOnlineManagement -Scope CurrentUser.')
        }
    } catch {
        [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $_.Exception.Message))
        return 2
    }
    try { Connect-UcxExchangeOnline -Settings $settings }
    catch {
        [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $_.Exception.Message))
        return 3
    }
    $exitCode = 0
    try {
        # Warnings and other streams go to stderr: stdout carries nothing but the JSON line.
        $output = & {
            if ($Operation -eq 'apply') {
                Sync-UcxExchangeAccess -AppId $settings.AppId -ServicePrincipalObjectId $settings.ServicePrincipalObjectId -ServicePrincipalName $settings.ServicePrincipalName -Mailboxes $settings.Mailboxes -SmtpAuth $settings.SmtpAuth -PreviousState $previousState
            } else {
                Remove-UcxExchangeAccess -PreviousState $previousState
            }
        } 3>&1 4>&1 5>&1 6>&1
        $report = $null
        foreach ($item in @($output)) {
            if ($item -is [System.Collections.IDictionary] -and $item.Contains('schema')) { $report = $item }
            elseif ($null -ne $item) { Write-UcxLog ([string]$item) }
        }
        [Console]::Out.WriteLine((ConvertTo-Json -InputObject $report -Depth 8 -Compress))
    } catch {
        [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $_.Exception.Message))
        $exitCode = 1
    } finally {
        try { Invoke-UcxQuietly { Disconnect-ExchangeOnline -Confirm:$false -ErrorAction Stop } }
        catch { Write-UcxLog ('disconnect failed: ' + $_.Exception.Message) }
    }
    $exitCode
}

Export-ModuleMember -Function Invoke-UcxMailExchange, Sync-UcxExchangeAccess, Remove-UcxExchangeAccess, Get-UcxExchangeSetting,
Connect-UcxExchangeOnline, Get-UcxExchangeAccessToken, ConvertFrom-UcxExchangeState, Invoke-UcxExchangeStep, Reset-UcxRetryBudget
