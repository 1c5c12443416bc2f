#!powershell

# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# The host side of everylayer.patch.windows_updates, kept thin: one Windows Update Agent operation per call.
# The action plugin on the controller chooses the updates, loops and reboots (plugins/plugin_utils/_windows).
# Output contract (tested against lab/winsim/wua.py): search -> updates[, installed]; download/install/
# uninstall -> results (id, kb, title, result_code, hresult[, reboot_required]; install adds package_identity,
# a DISM removal method and package_identity); history -> history; every answer -> reboot_required.

$spec = @{
    options = @{
        operation = @{ type = 'str'; required = $true; choices = 'search', 'download', 'install', 'uninstall', 'history' }
        server_selection = @{ type = 'str'; default = 'default'; choices = 'default', 'managed_server', 'windows_update' }
        include_installed = @{ type = 'bool'; default = $false }
        update_ids = @{ type = 'list'; elements = 'str'; default = @() }
        kbs = @{ type = 'list'; elements = 'str'; default = @() }
        package_identities = @{ type = 'dict'; default = @{} }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$operation = $module.Params.operation

# IUpdateSearcher.ServerSelection: ssDefault 0, ssManagedServer 1, ssWindowsUpdate 2
$serverSelection = @{ default = 0; managed_server = 1; windows_update = 2 }[$module.Params.server_selection]
$rebootBehavior = @{ 0 = 'never'; 1 = 'always'; 2 = 'can_request' }

Function Format-HResult {
    param([long]$HResult)
    '0x{0:X8}' -f ($HResult -band 0xFFFFFFFF)
}

Function Invoke-WuaStep {
    param([string]$Step, [scriptblock]$Action)
    try {
        & $Action
    }
    catch {
        $module.Result.hresult = Format-HResult -HResult $_.Exception.HResult
        $module.FailJson("Failed to $($Step): $($_.Exception.Message)", $_)
    }
}

Function Get-PackageIdentity {
    # WUA does not expose the CBS package name; DISM does. Combined cumulative updates are named
    # Package_for_RollupFix, after no KB: their details name it (Description "Fix for KB...", or the
    # SupportInformation link's kbid), read for the installed (or install-pending) rollups only.
    $packages = @{}
    try {
        foreach ($package in (Get-WindowsPackage -Online -ErrorAction Stop)) {
            if ($package.PackageName -match 'KB(\d+)') {
                $packages["KB$($Matches[1])"] = $package.PackageName
            }
            elseif ($package.PackageName -like 'Package_for_RollupFix*' -and "$($package.PackageState)" -in 'Installed', 'InstallPending') {
                $detail = Get-WindowsPackage -Online -PackageName $package.PackageName -ErrorAction Stop
                $text = "$($detail.Description) $($detail.SupportInformation)"
                if ($text -match 'KB(\d+)' -or $text -match 'kbid=(\d+)') {
                    $packages["KB$($Matches[1])"] = $package.PackageName
                }
            }
        }
    }
    catch {
        $module.Warn("Get-WindowsPackage failed, package identities unknown: $($_.Exception.Message)")
    }
    $packages
}

Function ConvertTo-UpdateInfo {
    param($Update, [hashtable]$Packages = @{})
    $kbs = @($Update.KBArticleIDs | ForEach-Object { "KB$_" })
    $identity = $null
    foreach ($kb in $kbs) {
        if ($Packages.ContainsKey($kb)) { $identity = $Packages[$kb] }
    }
    # the classification (Security Updates, Definition Updates...) is the category of type UpdateClassification;
    # the others name products
    $classification = @(
        $Update.Categories | Where-Object { [string]$_.Type -eq 'UpdateClassification' } | ForEach-Object { [string]$_.Name }
    ) | Select-Object -First 1
    @{
        id = [string]$Update.Identity.UpdateID
        revision = [int]$Update.Identity.RevisionNumber
        kb = $kbs
        title = [string]$Update.Title
        categories = @($Update.Categories | ForEach-Object { [string]$_.Name })
        classification = $classification
        msrc_severity = if ($Update.MsrcSeverity) { [string]$Update.MsrcSeverity } else { $null }
        release_date = $Update.LastDeploymentChangeTime.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
        size = [long]$Update.MaxDownloadSize
        reboot_behavior = $rebootBehavior[[int]$Update.InstallationBehavior.RebootBehavior]
        uninstallable = [bool]$Update.IsUninstallable
        superseded_update_ids = @($Update.SupersededUpdateIDs | ForEach-Object { [string]$_ })
        cves = @($Update.CveIDs | ForEach-Object { [string]$_ })
        downloaded = [bool]$Update.IsDownloaded
        package_identity = $identity
    }
}

Function Search-Update {
    param($Searcher, [string]$Criteria)
    $found = Invoke-WuaStep -Step "search for updates ($Criteria)" -Action { $Searcher.Search($Criteria) }
    , @($found.Updates | ForEach-Object { $_ })
}

Function New-UpdateCollection {
    param([object[]]$Updates)
    $collection = New-Object -ComObject Microsoft.Update.UpdateColl
    foreach ($update in $Updates) {
        if (-not $update.EulaAccepted) { $update.AcceptEula() }
        $null = $collection.Add($update)
    }
    , $collection
}

Function Get-OperationResult {
    param($Updates, $Outcome, [switch]$WithReboot)
    $results = [System.Collections.Generic.List[hashtable]]@()
    for ($i = 0; $i -lt $Updates.Count; $i++) {
        $one = $Outcome.GetUpdateResult($i)
        $entry = @{
            id = [string]$Updates[$i].Identity.UpdateID
            kb = @($Updates[$i].KBArticleIDs | ForEach-Object { "KB$_" })[0]
            title = [string]$Updates[$i].Title
            result_code = [int]$one.ResultCode
            hresult = Format-HResult -HResult $one.HResult
        }
        if ($WithReboot) { $entry.reboot_required = [bool]$one.RebootRequired }
        $results.Add($entry)
    }
    , $results
}

Function Remove-UpdatePackage {
    # WUA will not uninstall it (IsUninstallable false, WU_E_UNINSTALL_NOT_ALLOWED: combined cumulative updates);
    # DISM removes its CBS package by the identity the change record carries. No WUA history entry is written.
    param($Update, [string]$Kb, [string]$Identity)
    $entry = @{
        id = [string]$Update.Identity.UpdateID
        kb = $Kb
        title = [string]$Update.Title
        method = 'dism'
        package_identity = $Identity
    }
    try {
        $removed = Remove-WindowsPackage -Online -PackageName $Identity -NoRestart -ErrorAction Stop
        $entry.result_code = 2
        $entry.hresult = '0x00000000'
        $entry.reboot_required = [bool]$removed.RestartNeeded
    }
    catch {
        $entry.result_code = 4
        $entry.hresult = Format-HResult -HResult $_.Exception.HResult
        $entry.error = "Remove-WindowsPackage -PackageName $($Identity): $($_.Exception.Message)"
    }
    $entry
}

Function Select-ById {
    param([object[]]$Updates, [string[]]$Ids)
    $byId = @{}
    foreach ($update in $Updates) { $byId[[string]$update.Identity.UpdateID] = $update }
    $missing = @($Ids | Where-Object { -not $byId.ContainsKey($_) })
    if ($missing.Count) {
        $module.FailJson("update ids not found among the applicable updates: $($missing -join ', ')")
    }
    , @($Ids | ForEach-Object { $byId[$_] })
}

$session = New-Object -ComObject Microsoft.Update.Session
$session.ClientApplicationID = 'everylayer.patch windows_updates'
$searcher = $session.CreateUpdateSearcher()
$searcher.ServerSelection = $serverSelection
$module.Result.changed = $false
$mutating = $operation -in @('download', 'install', 'uninstall')
if ($mutating -and $module.CheckMode) {
    $module.Result.msg = "operation $operation skipped in check mode"
    $module.ExitJson()
}

switch ($operation) {
    'search' {
        $updates = Search-Update -Searcher $searcher -Criteria 'IsInstalled=0 and IsHidden=0'
        $module.Result.updates = @($updates | ForEach-Object { ConvertTo-UpdateInfo -Update $_ })
        if ($module.Params.include_installed) {
            $packages = Get-PackageIdentity
            $installed = Search-Update -Searcher $searcher -Criteria 'IsInstalled=1'
            $module.Result.installed = @($installed | ForEach-Object {
                    $info = ConvertTo-UpdateInfo -Update $_ -Packages $packages
                    $info.pending_reboot = [bool]$_.RebootRequired
                    $info
                })
        }
    }
    'download' {
        $updates = Select-ById -Updates (Search-Update -Searcher $searcher -Criteria 'IsInstalled=0 and IsHidden=0') -Ids $module.Params.update_ids
        $downloader = $session.CreateUpdateDownloader()
        $downloader.Updates = New-UpdateCollection -Updates $updates
        $outcome = Invoke-WuaStep -Step 'download updates' -Action { $downloader.Download() }
        $module.Result.results = Get-OperationResult -Updates $updates -Outcome $outcome
        $module.Result.changed = [bool]@($module.Result.results | Where-Object { $_.result_code -in 2, 3 }).Count
    }
    'install' {
        $updates = Select-ById -Updates (Search-Update -Searcher $searcher -Criteria 'IsInstalled=0 and IsHidden=0') -Ids $module.Params.update_ids
        $toDownload = @($updates | Where-Object { -not $_.IsDownloaded })
        if ($toDownload.Count) {
            $downloader = $session.CreateUpdateDownloader()
            $downloader.Updates = New-UpdateCollection -Updates $toDownload
            $null = Invoke-WuaStep -Step 'download updates' -Action { $downloader.Download() }
        }
        $installer = $session.CreateUpdateInstaller()
        $installer.Updates = New-UpdateCollection -Updates $updates
        $outcome = Invoke-WuaStep -Step 'install updates' -Action { $installer.Install() }
        $results = Get-OperationResult -Updates $updates -Outcome $outcome -WithReboot
        # the CBS package of an update exists once it is installed: its identity is what a DISM rollback removes
        $packages = Get-PackageIdentity
        foreach ($entry in $results) {
            $entry.package_identity = if ($entry.kb -and $packages.ContainsKey($entry.kb)) { $packages[$entry.kb] } else { $null }
        }
        $module.Result.results = $results
        $module.Result.changed = [bool]@($module.Result.results | Where-Object { $_.result_code -in 2, 3 }).Count
    }
    'uninstall' {
        $installed = Search-Update -Searcher $searcher -Criteria 'IsInstalled=1'
        $results = [System.Collections.Generic.List[hashtable]]@()
        $removable = [System.Collections.Generic.List[object]]@()
        foreach ($kb in $module.Params.kbs) {
            $number = $kb -replace '^KB', ''
            $match = @($installed | Where-Object { @($_.KBArticleIDs) -contains $number })
            if (-not $match.Count) {
                $results.Add(@{ kb = $kb; id = $null; title = $null; result_code = 0; hresult = '0x00000000'; absent = $true })
            }
            elseif (-not $match[0].IsUninstallable -and $module.Params.package_identities.ContainsKey($kb)) {
                $results.Add((Remove-UpdatePackage -Update $match[0] -Kb $kb -Identity $module.Params.package_identities[$kb]))
            }
            elseif (-not $match[0].IsUninstallable) {
                # WU_E_UNINSTALL_NOT_ALLOWED: WUA will not remove it, and no package identity was given for DISM
                $results.Add(@{ kb = $kb; id = [string]$match[0].Identity.UpdateID; title = [string]$match[0].Title; result_code = 4; hresult = '0x80240028' })
            }
            else {
                $removable.Add($match[0])
            }
        }
        if ($removable.Count) {
            $installer = $session.CreateUpdateInstaller()
            $installer.Updates = New-UpdateCollection -Updates $removable
            $outcome = Invoke-WuaStep -Step 'uninstall updates' -Action { $installer.Uninstall() }
            foreach ($entry in (Get-OperationResult -Updates @($removable) -Outcome $outcome -WithReboot)) { $results.Add($entry) }
        }
        $module.Result.results = $results
        $module.Result.changed = [bool]@($results | Where-Object { $_.result_code -eq 2 }).Count
    }
    'history' {
        $count = $searcher.GetTotalHistoryCount()
        $entries = if ($count -gt 0) { Invoke-WuaStep -Step 'read the update history' -Action { $searcher.QueryHistory(0, $count) } } else { @() }
        $module.Result.history = @($entries | ForEach-Object {
                $kb = if ($_.Title -match '(KB\d+)') { $Matches[1] } else { $null }
                @{
                    id = [string]$_.UpdateIdentity.UpdateID
                    kb = $kb
                    title = [string]$_.Title
                    operation = if ($_.Operation -eq 2) { 'uninstall' } else { 'install' }
                    result_code = [int]$_.ResultCode
                    hresult = Format-HResult -HResult $_.HResult
                    date = $_.Date.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
                }
            })
    }
}

$module.Result.reboot_required = [bool](New-Object -ComObject Microsoft.Update.SystemInfo).RebootRequired
$module.ExitJson()
