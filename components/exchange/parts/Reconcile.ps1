# Reconcile: bring Exchange Online to the desired state, writing only what differs, and build the run report.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

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
        $smtp = Get-UcxCasMailboxSetting -Mailbox $mailbox
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
