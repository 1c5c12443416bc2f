"""A Windows host at the protocol level: WinRM (WS-Management) with NTLM sealing or Basic over HTTPS, and a
model of the Windows Update Agent behind it (see docs/windows.md, "What the lab simulates")."""
