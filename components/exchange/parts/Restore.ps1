# Remove and restore: undo exactly what earlier runs recorded (grants, principal, SMTP values), on delete and revoke.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

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
        $smtp = Get-UcxCasMailboxSetting -Mailbox $mailbox -AllowMissing
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
    $smtp = Get-UcxCasMailboxSetting -Mailbox $Mailbox -AllowMissing
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
        $current = Get-UcxTransportSmtpSetting
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
