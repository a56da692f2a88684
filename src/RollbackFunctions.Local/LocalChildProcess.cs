using System.Diagnostics;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Local;

/// <summary>
/// How the local runtime starts its own children (Azurite, the <c>npm ci</c> that installs it, the
/// demo's Prometheus and Alertmanager): with the executors' allow-listed environment
/// (<see cref="ChildEnvironment"/>), never the host's settings and resolved secrets. <c>npm ci</c>
/// runs install scripts of packages from the registry. npm's own settings (<c>npm_config_*</c>,
/// its registry and cache) and node's extra CA file pass, so an install behind a proxy still works.
/// </summary>
public static class LocalChildProcess
{
    public static ProcessStartInfo StartInfo(string fileName, string workingDirectory)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory };
        ChildEnvironment.ApplyTo(start, name => name.StartsWith("npm_config_", StringComparison.OrdinalIgnoreCase) || name == "NODE_EXTRA_CA_CERTS");
        return start;
    }
}
