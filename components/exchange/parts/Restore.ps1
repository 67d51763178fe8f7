# Remove and restore: undo exactly what earlier runs recorded (grants, principal, mailbox settings), on delete and revoke.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Find-UcxRecordedPrincipal {
    <#
    .SYNOPSIS
        Finds the service principal a previous run recorded, and the values its FullAccess lines may show.
    .OUTPUTS
        An object with Principal ($null when it is gone or is another object with that AppId) and Keys.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $AppId, [string] $ObjectId)
    $all = Get-UcxExchangeServicePrincipalList
    $principal = Get-UcxExchangeServicePrincipal -AppId $AppId -All $all
    $found = Get-UcxPrincipalObjectId -Principal $principal
    if ($null -ne $found -and $found -ne $ObjectId.ToLowerInvariant()) {
        # Not the principal ucx-mail used: neither it nor its grants are ucx-mail's to remove.
        Write-UcxLog "service principal $AppId now has object id $found, not the recorded $ObjectId; leaving it alone"
        $principal = $null
    }
    $keys = @()
    if ($null -ne $principal) {
        $otherIds = @()
        if ($principal.PSObject.Properties['Identity']) { $otherIds += [string]$principal.Identity }
        $keys = Get-UcxPrincipalKey -AppId $AppId -ObjectId $ObjectId -Name @([string]$principal.DisplayName) -All $all -OtherId $otherIds
    }
    [pscustomobject]@{ Principal = $principal; Keys = $keys }
}

function Remove-UcxFullAccessGrant {
    <#
    .SYNOPSIS
        Removes a FullAccess grant that ucx-mail made, even when Get-MailboxPermission does not list it.
    .DESCRIPTION
        How the listing shows a service principal is undocumented, so a grant ucx-mail made is removed by its object id
        whether or not it was listed. Exchange only warns "... because the ACE doesn't exist on the object" when there
        was nothing to remove (Remove-MailboxPermission reference, -BypassMasterAccountSid); that is not a change.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [string] $Mailbox, [Parameter(Mandatory)] [string] $User, [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $PrincipalKey, [Parameter(Mandatory)] $Report)
    $listed = Test-UcxFullAccess -Mailbox $Mailbox -PrincipalKey $PrincipalKey
    if (-not $PSCmdlet.ShouldProcess($Mailbox, "Remove FullAccess of $User")) { return }
    $removeWarnings = New-Object System.Collections.Generic.List[object]
    Invoke-UcxExchangeStep -Step "Remove-MailboxPermission $Mailbox" -RetryNotFound -Action {
        Remove-MailboxPermission -Identity $Mailbox -User $User -AccessRights FullAccess -Confirm:$false -ErrorAction Stop -WarningAction SilentlyContinue -WarningVariable removeWarning | Out-Null
        foreach ($warning in @($removeWarning)) { $removeWarnings.Add($warning) }
    }
    foreach ($warning in $removeWarnings) { Write-UcxLog "Remove-MailboxPermission $Mailbox`: $warning" }
    $absent = @($removeWarnings | Where-Object { [string]$_ -match "doesn't exist on the object|does not exist on the object" }).Count -gt 0
    if ($listed -or -not $absent) { Add-UcxChange -Report $Report -Cmdlet 'Remove-MailboxPermission' -Identity $Mailbox -Detail "-User $User" }
}

function Remove-UcxPrincipalGrant {
    <#
    .SYNOPSIS
        Takes back what an earlier run granted to a principal: FullAccess it added and the service principal it created.
    .DESCRIPTION
        Only grants that were absent before ucx-mail first ran are removed; a pre-existing principal gets its old name back.
        Recorded mailbox settings are left for the caller.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] $Previous, [Parameter(Mandatory)] $Report)
    $objectId = [string]$Previous['servicePrincipalObjectId']
    $appId = [string]$Previous['appId']
    $recorded = Find-UcxRecordedPrincipal -AppId $appId -ObjectId $objectId
    $principal = $recorded.Principal
    if ($null -eq $principal) { return }
    foreach ($mailbox in @($Previous['previous']['granted'])) {
        $exists = Get-UcxCasMailboxSetting -Mailbox $mailbox -AllowMissing
        if (-not $exists.Exists) { Write-UcxLog "mailbox $mailbox no longer exists; nothing to revoke"; continue }
        Remove-UcxFullAccessGrant -Mailbox $mailbox -User $objectId -PrincipalKey $recorded.Keys -Report $Report -WhatIf:$WhatIfPreference
    }
    $originalPrincipal = $Previous['previous']['servicePrincipal']
    if ($null -eq $originalPrincipal) { return }
    if (-not $originalPrincipal['present']) {
        # By AppId: the object id property is ObjectId in current output and ServiceId in older output.
        if ($PSCmdlet.ShouldProcess($appId, 'Remove-ServicePrincipal')) {
            Invoke-UcxExchangeStep -Step 'Remove-ServicePrincipal' -RetryNotFound -Action {
                Remove-ServicePrincipal -Identity $appId -Confirm:$false -ErrorAction Stop | Out-Null
            }
            Add-UcxChange -Report $Report -Cmdlet 'Remove-ServicePrincipal' -Identity $appId
        }
    } elseif ([string]$principal.DisplayName -cne [string]$originalPrincipal['displayName']) {
        $name = [string]$originalPrincipal['displayName']
        if ($PSCmdlet.ShouldProcess($appId, "Rename service principal back to '$name'")) {
            Invoke-UcxExchangeStep -Step 'Set-ServicePrincipal' -RetryNotFound -Action {
                Set-ServicePrincipal -Identity $appId -DisplayName $name -Confirm:$false -ErrorAction Stop | Out-Null
            }
            Add-UcxChange -Report $Report -Cmdlet 'Set-ServicePrincipal' -Identity $appId -Detail "-DisplayName $name"
        }
    }
}

function Restore-UcxMailbox {
    <#
    .SYNOPSIS
        Returns one mailbox to how ucx-mail found it: FullAccess removed if ucx-mail added it, recorded settings restored.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)] [string] $Mailbox,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Previous,
        [Parameter(Mandatory)] [string] $User,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $PrincipalKey,
        [switch] $PrincipalExists,
        [Parameter(Mandatory)] $Report
    )
    $current = Get-UcxCasMailboxSetting -Mailbox $Mailbox -AllowMissing
    if (-not $current.Exists) { Write-UcxLog "mailbox $Mailbox no longer exists; nothing to restore"; return }
    if ($PrincipalExists -and @($Previous['granted']) -contains $Mailbox) {
        Remove-UcxFullAccessGrant -Mailbox $Mailbox -User $User -PrincipalKey $PrincipalKey -Report $Report -WhatIf:$WhatIfPreference
    }
    $wanted = [ordered]@{}
    foreach ($setting in $script:MailboxSettingNames) {
        if ($Previous[$setting].Contains($Mailbox)) { $wanted[$setting] = $Previous[$setting][$Mailbox] }
    }
    Set-UcxCasMailboxSetting -Mailbox $Mailbox -Current $current -Wanted $wanted -Report $Report -WhatIf:$WhatIfPreference
}

function Remove-UcxExchangeAccess {
    <#
    .SYNOPSIS
        Undoes everything a previous run recorded: FullAccess it added, settings it changed, the principal it created.
    .DESCRIPTION
        Works only from the previous run's JSON (PULUMI_COMMAND_STDOUT on delete), so it restores the exact values found
        before ucx-mail first ran, $null ("inherit the organization setting") included. Without it, nothing is touched.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([System.Collections.IDictionary] $PreviousState)
    if ($null -eq $PreviousState) {
        Write-UcxLog 'no previous run recorded, so there is nothing to undo'
        $empty = New-UcxReport -Operation 'remove' -SmtpAuth 'unchanged'
        $empty.previous = [ordered]@{}
        return $empty
    }
    $objectId = [string]$PreviousState['servicePrincipalObjectId']
    $appId = [string]$PreviousState['appId']
    $report = New-UcxReport -Operation 'remove' -AppId $appId -ObjectId $objectId -Name ([string]$PreviousState['servicePrincipalName']) -SmtpAuth ([string]$PreviousState['smtpAuth'])
    $report.previous = [ordered]@{}
    $recorded = Find-UcxRecordedPrincipal -AppId $appId -ObjectId $objectId
    $principal = $recorded.Principal
    foreach ($mailbox in (Get-UcxRecordedMailbox -Previous $PreviousState['previous'])) {
        Restore-UcxMailbox -Mailbox $mailbox -Previous $PreviousState['previous'] -User $objectId -PrincipalKey $recorded.Keys -PrincipalExists:($null -ne $principal) -Report $report -WhatIf:$WhatIfPreference
    }
    if ($PreviousState['previous'].Contains('organization')) {
        $current = Get-UcxTransportSmtpSetting
        $report.found.organization = [ordered]@{ smtpClientAuthenticationDisabled = $current }
        Set-UcxOrganizationSmtpSetting -Current $current -Desired $PreviousState['previous']['organization']['smtpClientAuthenticationDisabled'] -Report $report -WhatIf:$WhatIfPreference
    }
    $report.found.servicePrincipal = [ordered]@{ present = ($null -ne $principal); displayName = $(if ($principal) { [string]$principal.DisplayName } else { $null }) }
    # The grants were handled per mailbox above; what is left is the principal itself.
    $principalOnly = [ordered]@{}
    foreach ($key in $PreviousState.Keys) { $principalOnly[$key] = $PreviousState[$key] }
    $principalOnly['previous'] = [ordered]@{ servicePrincipal = $PreviousState['previous']['servicePrincipal']; granted = @() }
    Remove-UcxPrincipalGrant -Previous $principalOnly -Report $report -WhatIf:$WhatIfPreference
    $report
}
