# Reconcile: bring Exchange Online to the desired state, writing only what differs, and build the run report.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Add-UcxChange {
    <#
    .SYNOPSIS
        Records one write in the run report: a count per cmdlet (the log line names the object).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Report, [Parameter(Mandatory)] [string] $Cmdlet, [Parameter(Mandatory)] [string] $Identity, [string] $Detail = '')
    $Report.changed[$Cmdlet] = [int]$(if ($Report.changed.Contains($Cmdlet)) { $Report.changed[$Cmdlet] } else { 0 }) + 1
    Write-UcxLog ("$Cmdlet $Identity $Detail").Trim()
}

function Set-UcxCasMailboxSetting {
    <#
    .SYNOPSIS
        Writes the CAS settings of one mailbox that differ from the wanted values, in one Set-CASMailbox call.
    .PARAMETER Wanted
        Setting name (smtpClientAuthenticationDisabled, imapEnabled, popEnabled) -> value; $null is a value for SMTP.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [string] $Mailbox, [Parameter(Mandatory)] [System.Collections.IDictionary] $Current, [Parameter(Mandatory)] [System.Collections.IDictionary] $Wanted, [Parameter(Mandatory)] $Report)
    $parameters = @{}
    foreach ($setting in @($Wanted.Keys)) {
        if (Test-UcxSameSetting $Current[$setting] $Wanted[$setting]) { continue }
        # Cmdlet parameter names are the setting names with a capital first letter.
        $parameters[$setting.Substring(0, 1).ToUpperInvariant() + $setting.Substring(1)] = $Wanted[$setting]
    }
    if ($parameters.Count -eq 0) { return }
    $text = (@($parameters.Keys | Sort-Object | ForEach-Object { "-$_ $(if ($null -eq $parameters[$_]) { '$null' } else { '$' + ([string]$parameters[$_]).ToLowerInvariant() })" }) -join ' ')
    if ($PSCmdlet.ShouldProcess($Mailbox, "Set-CASMailbox $text")) {
        Invoke-UcxExchangeStep -Step "Set-CASMailbox $Mailbox" -Action { Set-CASMailbox -Identity $Mailbox @parameters -Confirm:$false -ErrorAction Stop | Out-Null }
        Add-UcxChange -Report $Report -Cmdlet 'Set-CASMailbox' -Identity $Mailbox -Detail $text
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
            Set-TransportConfig -SmtpClientAuthenticationDisabled ([bool]$Desired) -Confirm:$false -ErrorAction Stop | Out-Null
        }
        Add-UcxChange -Report $Report -Cmdlet 'Set-TransportConfig' -Identity 'organization' -Detail "-SmtpClientAuthenticationDisabled $([bool]$Desired)"
    }
}

function New-UcxReport {
    <#
    .SYNOPSIS
        Creates the skeleton of the one JSON line a run prints (and the next run reads back as its previous state).
    .DESCRIPTION
        previous.granted lists the mailboxes whose FullAccess ucx-mail made; previous.<setting> maps a mailbox to the value
        that setting had before ucx-mail first changed it. Only what ucx-mail changed is recorded, to stay small.
    #>
    [CmdletBinding()]
    param([string] $Operation, [string] $AppId, [string] $ObjectId, [string] $Name, [string] $SmtpAuth, [string] $MailboxProtocols = 'unchanged')
    $previous = [ordered]@{ servicePrincipal = $null; granted = @() }
    foreach ($setting in $script:MailboxSettingNames) { $previous[$setting] = [ordered]@{} }
    [ordered]@{
        schema                   = $script:StateSchema
        operation                = $Operation
        appId                    = $AppId
        servicePrincipalObjectId = $ObjectId
        servicePrincipalName     = $Name
        smtpAuth                 = $SmtpAuth
        mailboxProtocols         = $MailboxProtocols
        found                    = [ordered]@{ servicePrincipal = $null; organization = $null }
        changed                  = [ordered]@{}
        previous                 = $previous
    }
}

function Get-UcxRecordedMailbox {
    <#
    .SYNOPSIS
        Every mailbox a previous state holds something for: a grant ucx-mail made or a setting value it recorded.
    #>
    [CmdletBinding()]
    [OutputType([string[]])]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Previous)
    $all = @($Previous['granted'])
    foreach ($setting in $script:MailboxSettingNames) { if ($Previous.Contains($setting)) { $all += @($Previous[$setting].Keys) } }
    , @($all | Where-Object { $_ } | ForEach-Object { [string]$_ } | Select-Object -Unique)
}

function Get-UcxWantedCasSetting {
    <#
    .SYNOPSIS
        The CAS values a configured mailbox should have, and which originals to record or forget.
    .DESCRIPTION
        SMTP: mailbox scope wants $false. Organization scope wants the mailbox to inherit ($null) when its own value is
        $true, because the per-mailbox setting overrides the tenant's. Protocols: IMAP (POP) $true when requested.
        A setting that is not wanted any more goes back to its recorded original, and the record is dropped.
    .OUTPUTS
        A hashtable: Wanted (setting -> value) and Forget (settings whose record is dropped after this run).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Current,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Recorded,
        [Parameter(Mandatory)] [string] $SmtpAuth,
        [Parameter(Mandatory)] [bool] $WantImap,
        [Parameter(Mandatory)] [bool] $WantPop
    )
    $wanted = [ordered]@{}
    $forget = New-Object System.Collections.Generic.List[string]
    $baseline = @{}
    foreach ($setting in $script:MailboxSettingNames) { $baseline[$setting] = $(if ($Recorded.Contains($setting)) { $Recorded[$setting] } else { $Current[$setting] }) }
    switch ($SmtpAuth) {
        'mailbox' { $wanted['smtpClientAuthenticationDisabled'] = $false }
        'organization' {
            $wanted['smtpClientAuthenticationDisabled'] = $(if ($baseline['smtpClientAuthenticationDisabled'] -eq $true) { $null } else { $baseline['smtpClientAuthenticationDisabled'] })
        }
        default { $wanted['smtpClientAuthenticationDisabled'] = $baseline['smtpClientAuthenticationDisabled'] }
    }
    $wanted['imapEnabled'] = $(if ($WantImap) { $true } else { $baseline['imapEnabled'] })
    $wanted['popEnabled'] = $(if ($WantPop) { $true } else { $baseline['popEnabled'] })
    foreach ($setting in $script:MailboxSettingNames) {
        if (Test-UcxSameSetting $wanted[$setting] $baseline[$setting]) { $forget.Add($setting) }
    }
    @{ Wanted = $wanted; Forget = @($forget) }
}

function Sync-UcxExchangeAccess {
    <#
    .SYNOPSIS
        Brings Exchange Online to the desired state for UCX Suite mail access, writing only what differs.
    .DESCRIPTION
        Needs an open Exchange Online session. Ensures the service principal (New-ServicePrincipal -AppId -ObjectId
        -DisplayName), FullAccess without auto-mapping on every mailbox, SMTP client authentication per SmtpAuth and,
        with MailboxProtocols enable, IMAP (and POP) on each mailbox when the permissions ask for them.
        With -PreviousState (the JSON of the last run) it also revokes mailboxes that left the configuration and
        restores their settings, and it carries the values found before the first run forward so delete can
        restore them exactly. Returns the report that the entry script prints as one JSON line.
    .PARAMETER SmtpAuth
        mailbox: Set-CASMailbox per mailbox; organization: Set-TransportConfig (and mailboxes that block it inherit);
        unchanged: touch nothing.
    .PARAMETER MailboxProtocols
        enable: ImapEnabled (PopEnabled) $true on every mailbox when Permissions holds IMAP.AccessAsApp (POP.AccessAsApp).
    .PARAMETER Original
        The original-state record (Get-UcxExchangeOriginal), stored before this run wrote anything. What the previous run
        recorded wins; the original fills in the rest, so a write from a run that failed is still known as ucx-mail's.
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
        [ValidateSet('enable', 'unchanged')] [string] $MailboxProtocols = 'enable',
        [string[]] $Permissions = @('IMAP.AccessAsApp', 'SMTP.SendAsApp'),
        [System.Collections.IDictionary] $PreviousState,
        [System.Collections.IDictionary] $Original
    )
    $ServicePrincipalObjectId = $ServicePrincipalObjectId.ToLowerInvariant()
    $Mailboxes = @($Mailboxes | ForEach-Object { $_.ToLowerInvariant() })
    $report = New-UcxReport -Operation 'apply' -AppId $AppId -ObjectId $ServicePrincipalObjectId -Name $ServicePrincipalName -SmtpAuth $SmtpAuth -MailboxProtocols $MailboxProtocols
    $wantImap = $MailboxProtocols -eq 'enable' -and $Permissions -contains 'IMAP.AccessAsApp'
    $wantPop = $MailboxProtocols -eq 'enable' -and $Permissions -contains 'POP.AccessAsApp'
    $previousGranted = @()
    $recorded = @{}
    foreach ($setting in $script:MailboxSettingNames) { $recorded[$setting] = [ordered]@{} }
    $previousPrincipal = $null
    $previousOrganization = $null
    $samePrincipal = $true
    if ($null -ne $PreviousState) {
        $samePrincipal = ([string]$PreviousState['appId'] -eq $AppId -and ([string]$PreviousState['servicePrincipalObjectId']).ToLowerInvariant() -eq $ServicePrincipalObjectId)
        if ($samePrincipal) {
            $previousPrincipal = $PreviousState['previous']['servicePrincipal']
            $previousGranted = @($PreviousState['previous']['granted'])
        }
        foreach ($setting in $script:MailboxSettingNames) {
            foreach ($mailbox in @($PreviousState['previous'][$setting].Keys)) { $recorded[$setting][$mailbox] = $PreviousState['previous'][$setting][$mailbox] }
        }
        if ($PreviousState['previous'].Contains('organization')) { $previousOrganization = $PreviousState['previous']['organization'] }
    }
    # The original record counts only for this principal; it fills in what no earlier successful run recorded.
    $originalMailboxes = @{}
    if ($null -ne $Original -and [string]$Original['appId'] -eq $AppId -and ([string]$Original['servicePrincipalObjectId']).ToLowerInvariant() -eq $ServicePrincipalObjectId) {
        if ($null -eq $previousPrincipal) { $previousPrincipal = $Original['servicePrincipal'] }
        if ($null -eq $previousOrganization -and $SmtpAuth -eq 'organization') { $previousOrganization = $Original['organization'] }
        foreach ($mailbox in @($Original['mailboxes'].Keys)) {
            $entry = ConvertFrom-UcxOriginalEntry $Original['mailboxes'][$mailbox]
            $originalMailboxes[$mailbox] = $entry
            foreach ($setting in $script:MailboxSettingNames) {
                if ($Mailboxes -contains $mailbox -and $entry.Contains($setting) -and -not $recorded[$setting].Contains($mailbox)) { $recorded[$setting][$mailbox] = $entry[$setting] }
            }
        }
    }

    if ($null -ne $PreviousState -and -not $samePrincipal) {
        # A different app now holds the access: take back what was granted to the old one, keep the setting originals.
        Remove-UcxPrincipalGrant -Previous $PreviousState -Report $report -WhatIf:$WhatIfPreference
    }

    # Service principal: look it up by AppId, create it with -ObjectId (never the deprecated -ServiceId), fix its name.
    $allPrincipals = Get-UcxExchangeServicePrincipalList
    $principal = Get-UcxExchangeServicePrincipal -AppId $AppId -All $allPrincipals
    Assert-UcxPrincipalObjectId -Principal $principal -AppId $AppId -ServicePrincipalObjectId $ServicePrincipalObjectId
    # Get-MailboxPermission may name a principal by display name, so two principals with one name cannot be told apart.
    $namesake = @($allPrincipals | Where-Object { $null -ne $_ -and [string]$_.AppId -ne $AppId -and ([string]$_.DisplayName) -eq $ServicePrincipalName }) | Select-Object -First 1
    if ($null -ne $namesake) {
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.NameTaken' -Message (
                "Another Exchange service principal (AppId $([string]$namesake.AppId)) is already named '$([string]$namesake.DisplayName)'. " +
                'Get-MailboxPermission may list principals by display name, so ucx-mail could not tell their mailbox grants apart; ' +
                'set a different exchangeServicePrincipalName and run `pulumi up` again (nothing was granted to this app).'))
    }
    $report.found.servicePrincipal = [ordered]@{ present = ($null -ne $principal); displayName = $(if ($principal) { [string]$principal.DisplayName } else { $null }) }
    if ($null -ne $previousPrincipal) { $report.previous.servicePrincipal = $previousPrincipal }
    else { $report.previous.servicePrincipal = $report.found.servicePrincipal }
    if ($null -eq $principal) {
        $principal = New-UcxServicePrincipal -AppId $AppId -ServicePrincipalObjectId $ServicePrincipalObjectId -ServicePrincipalName $ServicePrincipalName -Report $report -WhatIf:$WhatIfPreference
    } elseif ([string]$principal.DisplayName -cne $ServicePrincipalName) {
        # By AppId: the object id property is ObjectId in current output and ServiceId in older output.
        if ($PSCmdlet.ShouldProcess($AppId, "Set-ServicePrincipal -DisplayName $ServicePrincipalName")) {
            Invoke-UcxExchangeStep -Step 'Set-ServicePrincipal' -RetryNotFound -Action {
                Set-ServicePrincipal -Identity $AppId -DisplayName $ServicePrincipalName -Confirm:$false -ErrorAction Stop | Out-Null
            }
            Add-UcxChange -Report $report -Cmdlet 'Set-ServicePrincipal' -Identity $AppId -Detail "-DisplayName $ServicePrincipalName"
        }
    }
    # A grant can still be listed under the old name for a moment after a rename, so both names count.
    $principalNames = @($ServicePrincipalName)
    $otherIds = @()
    if ($null -ne $principal) {
        $principalNames += [string]$principal.DisplayName
        if ($principal.PSObject.Properties['Identity']) { $otherIds += [string]$principal.Identity }
    }
    $principalKey = Get-UcxPrincipalKey -AppId $AppId -ObjectId $ServicePrincipalObjectId -Name $principalNames -All $allPrincipals -OtherId $otherIds

    # A principal that ucx-mail created can only hold grants that ucx-mail made, even ones from a run that failed.
    $principalWasPresent = [bool]$report.previous.servicePrincipal['present']
    $principalExists = ($null -ne $principal) -or -not $WhatIfPreference

    # Mailboxes in the configuration, first FullAccess without auto-mapping (the steps that wait for propagation)...
    $casFound = @{}
    $granted = New-Object System.Collections.Generic.List[string]
    foreach ($mailbox in $Mailboxes) {
        $casFound[$mailbox] = Get-UcxCasMailboxSetting -Mailbox $mailbox
        $hasFullAccess = $false
        if ($principalExists) { $hasFullAccess = Test-UcxFullAccess -Mailbox $mailbox -PrincipalKey $principalKey }
        # Ownership comes from before ucx-mail's first write: the earlier record, else the original record, else this read.
        $owned = $previousGranted -contains $mailbox -or -not $principalWasPresent
        if (-not $owned -and $originalMailboxes.ContainsKey($mailbox) -and $originalMailboxes[$mailbox].Contains('fullAccess')) { $owned = -not [bool]$originalMailboxes[$mailbox]['fullAccess'] }
        elseif (-not $owned) { $owned = -not $hasFullAccess }
        if ($owned) { $granted.Add($mailbox) }
        if (-not $hasFullAccess -and $PSCmdlet.ShouldProcess($mailbox, "Add-MailboxPermission FullAccess for $ServicePrincipalObjectId")) {
            # Right after New-ServicePrincipal the principal can be "not found" for minutes: retry within the budget.
            $addWarnings = New-Object System.Collections.Generic.List[object]
            Invoke-UcxExchangeStep -Step "Add-MailboxPermission $mailbox" -RetryNotFound -Action {
                Add-MailboxPermission -Identity $mailbox -User $ServicePrincipalObjectId -AccessRights FullAccess -AutoMapping:$false -Confirm:$false -ErrorAction Stop -WarningAction SilentlyContinue -WarningVariable addWarning | Out-Null
                foreach ($warning in @($addWarning)) { $addWarnings.Add($warning) }
            }
            # Exchange only warns when the grant exists already (the list had not shown it): nothing was written.
            $alreadyPresent = @($addWarnings | Where-Object { [string]$_ -match 'already present' }).Count -gt 0
            foreach ($warning in $addWarnings) { Write-UcxLog "Add-MailboxPermission $mailbox`: $warning" }
            if (-not $alreadyPresent) { Add-UcxChange -Report $report -Cmdlet 'Add-MailboxPermission' -Identity $mailbox -Detail "-User $ServicePrincipalObjectId -AccessRights FullAccess" }
        }
    }
    $report.previous.granted = @($granted)
    # ...then the CAS settings, which never wait: a run that gives up above has not yet changed a value it must remember.
    foreach ($mailbox in $Mailboxes) {
        $current = $casFound[$mailbox]
        $recordedHere = @{}
        foreach ($setting in $script:MailboxSettingNames) { if ($recorded[$setting].Contains($mailbox)) { $recordedHere[$setting] = $recorded[$setting][$mailbox] } }
        $plan = Get-UcxWantedCasSetting -Current $current -Recorded $recordedHere -SmtpAuth $SmtpAuth -WantImap $wantImap -WantPop $wantPop
        foreach ($setting in $script:MailboxSettingNames) {
            if ($plan.Forget -contains $setting) { continue }
            # Record the value from before ucx-mail's first change, $null ("inherit") included.
            $report.previous[$setting][$mailbox] = $(if ($recordedHere.ContainsKey($setting)) { $recordedHere[$setting] } else { $current[$setting] })
        }
        Set-UcxCasMailboxSetting -Mailbox $mailbox -Current $current -Wanted $plan.Wanted -Report $report -WhatIf:$WhatIfPreference
    }

    # Mailboxes that left the configuration: revoke what ucx-mail granted and restore their settings.
    $leftovers = [ordered]@{ granted = @($previousGranted | Where-Object { $Mailboxes -notcontains $_ }) }
    foreach ($setting in $script:MailboxSettingNames) {
        $leftovers[$setting] = [ordered]@{}
        foreach ($mailbox in @($recorded[$setting].Keys | Where-Object { $Mailboxes -notcontains $_ })) { $leftovers[$setting][$mailbox] = $recorded[$setting][$mailbox] }
    }
    foreach ($mailbox in (Get-UcxRecordedMailbox -Previous $leftovers)) {
        Restore-UcxMailbox -Mailbox $mailbox -Previous $leftovers -User $ServicePrincipalObjectId -PrincipalKey $(if ($principalExists) { $principalKey } else { @() }) -PrincipalExists:($null -ne $principal) -Report $report -WhatIf:$WhatIfPreference
    }

    # Organization-wide SMTP AUTH only when asked for; otherwise put back what an earlier run changed.
    if ($SmtpAuth -eq 'organization' -or $null -ne $previousOrganization) {
        $current = Get-UcxTransportSmtpSetting
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

function Assert-UcxPrincipalObjectId {
    <#
    .SYNOPSIS
        Refuses, before any write, an Exchange principal for the AppId whose object id is not the enterprise application's.
    .DESCRIPTION
        Typically made by hand with the app registration's object id from an older guide. It can never authenticate
        (IMAP answers AUTHENTICATE failed, SMTP 535 5.7.3), so it must never be reported as converged. ucx-mail does not
        remove an object it did not create: the message names both ids and the commands that fix it.
    #>
    [CmdletBinding()]
    param([AllowNull()] $Principal, [Parameter(Mandatory)] [string] $AppId, [Parameter(Mandatory)] [string] $ServicePrincipalObjectId)
    if ($null -eq $Principal) { return }
    $found = Get-UcxPrincipalObjectId -Principal $Principal
    if ($null -eq $found) { Write-UcxLog "service principal $AppId shows no object id to compare with $ServicePrincipalObjectId"; return }
    if ($found -eq $ServicePrincipalObjectId.ToLowerInvariant()) { return }
    throw (New-UcxFailure -ErrorId 'UcxMailExchange.WrongObjectId' -Message (
            "Exchange Online already has a service principal for AppId $AppId, but with object id $found instead of the enterprise " +
            "application's object id $ServicePrincipalObjectId (servicePrincipalObjectId); such a principal (often made with the " +
            "app registration's object id) can never authenticate (IMAP: AUTHENTICATE failed, SMTP: 535 5.7.3). ucx-mail changed " +
            "nothing: run Remove-ServicePrincipal -Identity $AppId in Exchange Online PowerShell, then run ``pulumi up`` again."))
}

function New-UcxServicePrincipal {
    <#
    .SYNOPSIS
        Creates the Exchange service principal, waiting out Entra replication, and learns the outcome by reading it back.
    .OUTPUTS
        The principal as Get-ServicePrincipal lists it, or $null when it is not listed yet (or under -WhatIf).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [string] $AppId, [Parameter(Mandatory)] [string] $ServicePrincipalObjectId, [Parameter(Mandatory)] [string] $ServicePrincipalName, [Parameter(Mandatory)] $Report)
    if (-not $PSCmdlet.ShouldProcess($AppId, "New-ServicePrincipal -ObjectId $ServicePrincipalObjectId -DisplayName $ServicePrincipalName")) { return $null }
    $hint = "Exchange Online checks -ObjectId against Entra ID, so it must be the enterprise application's object id " +
    "(servicePrincipalObjectId), not the app registration's; sent -AppId $AppId -ObjectId $ServicePrincipalObjectId. "
    try {
        # The enterprise app may be minutes old: Exchange answers AADServicePrincipalNotFound until Entra has replicated it.
        Invoke-UcxExchangeStep -Step 'New-ServicePrincipal' -RetryNotFound -GiveUpHint $hint -Action {
            New-ServicePrincipal -AppId $AppId -ObjectId $ServicePrincipalObjectId -DisplayName $ServicePrincipalName -Confirm:$false -ErrorAction Stop | Out-Null
        }
    } catch {
        $failure = $_
        # The reply to a duplicate is undocumented: read back whether the principal exists (an earlier attempt may have made it).
        $existing = $null
        try {
            $existing = Invoke-UcxExchangeStep -Step "Get-ServicePrincipal $AppId" -RetryNotFound -MaxRetries 5 -Action {
                $listed = Get-UcxExchangeServicePrincipal -AppId $AppId
                if ($null -eq $listed) { throw "The service principal for AppId $AppId was not found." }
                $listed
            }
        } catch { $existing = $null }
        if ($null -eq $existing) { throw $failure }
        Assert-UcxPrincipalObjectId -Principal $existing -AppId $AppId -ServicePrincipalObjectId $ServicePrincipalObjectId
        Write-UcxLog "New-ServicePrincipal $AppId answered an error, but the principal exists: nothing more to create"
        return $existing
    }
    Add-UcxChange -Report $Report -Cmdlet 'New-ServicePrincipal' -Identity $AppId -Detail "-ObjectId $ServicePrincipalObjectId -DisplayName $ServicePrincipalName"
    $null
}
