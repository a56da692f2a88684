using System.Diagnostics;

namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>
/// A real Alertmanager (Debian package <c>prometheus-alertmanager</c>) on a free loopback port,
/// not clustered, sending its webhooks to the runtime under test with one-second grouping.
/// </summary>
internal sealed class AlertmanagerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly string data;

    private AlertmanagerProcess(Process process, string data, int port)
    {
        this.process = process;
        this.data = data;
        Port = port;
    }

    public int Port { get; }

    public static bool Installed => File.Exists("/usr/bin/prometheus-alertmanager");

    public static async Task<AlertmanagerProcess> StartAsync(string webhookUrl)
    {
        RealParts.Require(Installed, "prometheus-alertmanager (Debian package; scripts/test.sh installs it)");
        var data = Path.Combine(Path.GetTempPath(), $"rollback-alertmanager-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var config = Path.Combine(data, "alertmanager.yml");
        await File.WriteAllTextAsync(config, $"""
            route:
              receiver: rollback
              group_by: [alertname, service]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: rollback
                webhook_configs:
                  - url: '{webhookUrl}'
                    send_resolved: true
            """);
        try
        {
            var (process, port) = await ChildProcess.StartOnFreePortAsync(
                port => ChildProcess.Start("/usr/bin/prometheus-alertmanager",
                [
                    $"--config.file={config}", $"--storage.path={data}", $"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=", // a single instance: no gossip
                ]),
                (process, port) => ChildProcess.WaitUntilReadyAsync(process, $"http://127.0.0.1:{port}/-/ready", TimeSpan.FromSeconds(30), () => "Alertmanager did not become ready"));
            return new AlertmanagerProcess(process, data, port);
        }
        catch
        {
            Directory.Delete(data, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcess.StopAsync(process);
        Directory.Delete(data, recursive: true);
    }
}
