using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RollbackFunctions.Local.Demo;

/// <summary>
/// The real Prometheus and Alertmanager of the fire drill, from Debian's packages when installed:
/// Prometheus scrapes the simulated service every second and fires <c>DemoCheckoutErrors</c> to
/// Alertmanager, which sends it to the runtime's webhook. Each runs on a free loopback port with
/// its files in a temporary folder, removed on dispose.
/// </summary>
public sealed class MonitoringStack : IAsyncDisposable
{
    public const string PrometheusBinary = "/usr/bin/prometheus";
    public const string AlertmanagerBinary = "/usr/bin/prometheus-alertmanager";
    public const string AlertName = "DemoCheckoutErrors";

    private readonly List<Process> processes = [];
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"rollback-demo-{Guid.NewGuid():N}");

    // Prometheus's port, held until Prometheus starts: the runtime is told the address seconds
    // before, and a port let go that early can be taken by any other program's connection.
    private readonly TcpListener prometheusPort;

    private MonitoringStack(TcpListener prometheusPort)
    {
        this.prometheusPort = prometheusPort;
        PrometheusUrl = $"http://{prometheusPort.LocalEndpoint}";
        Directory.CreateDirectory(folder);
    }

    public string PrometheusUrl { get; }

    public bool HasAlertmanager { get; private set; }

    public static bool PrometheusInstalled => File.Exists(PrometheusBinary);

    public static bool AlertmanagerInstalled => File.Exists(AlertmanagerBinary);

    /// <summary>Reserves Prometheus's port, so the runtime can be told where it will be before it starts.</summary>
    public static MonitoringStack Plan()
    {
        var reservation = new TcpListener(IPAddress.Loopback, 0);
        reservation.Start();
        return new(reservation);
    }

    /// <summary>Starts Alertmanager (if installed) aimed at <paramref name="webhookUrl"/>, then Prometheus.</summary>
    public async Task StartAsync(string scrapeTarget, string service, string environment, string webhookUrl, CancellationToken cancellationToken)
    {
        var alerting = "";
        if (AlertmanagerInstalled)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "alertmanager.yml"), $"""
                route:
                  receiver: rollback
                  group_by: [alertname, service, environment]
                  group_wait: 1s
                  group_interval: 5s
                  repeat_interval: 1h
                receivers:
                  - name: rollback
                    webhook_configs:
                      - url: '{webhookUrl}'
                        send_resolved: true
                """, cancellationToken);
            // Its port is chosen here and bound a moment later; taken meanwhile, Alertmanager exits
            // and is started again on another (at most three tries).
            var port = await StartAlertmanagerAsync(cancellationToken);
            alerting = $"""
                rule_files: ['{Path.Combine(folder, "rules.yml")}']
                alerting:
                  alertmanagers:
                    - static_configs:
                        - targets: ['127.0.0.1:{port}']
                """;
            HasAlertmanager = true;
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "rules.yml"), $$$"""
            groups:
              - name: demo
                rules:
                  - alert: {{{AlertName}}}
                    expr: max by (service) ({{{SimulatedService.Metric}}}) > 0.05
                    labels:
                      environment: {{{environment}}}
                      severity: page
                    annotations:
                      summary: "{{{service}}} error ratio is {{ $value }}"
            """, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            {alerting}
            scrape_configs:
              - job_name: demo-checkout
                static_configs:
                  - targets: ['{new Uri(scrapeTarget).Authority}']
            """, cancellationToken);
        prometheusPort.Stop(); // handed to Prometheus
        var prometheus = Start(PrometheusBinary,
            $"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "tsdb")}",
            $"--web.listen-address={new Uri(PrometheusUrl).Authority}");
        processes.Add(prometheus);
        await WaitReadyAsync(prometheus, $"{PrometheusUrl}/-/ready", cancellationToken);
    }

    private async Task<int> StartAlertmanagerAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var alertmanager = Start(AlertmanagerBinary,
                $"--config.file={Path.Combine(folder, "alertmanager.yml")}", $"--storage.path={Path.Combine(folder, "alertmanager")}",
                $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=");
            processes.Add(alertmanager);
            try
            {
                await WaitReadyAsync(alertmanager, $"http://127.0.0.1:{port}/-/ready", cancellationToken);
                return port;
            }
            catch (InvalidOperationException) when (attempt < 3 && alertmanager.HasExited)
            {
            }
        }
    }

    private static Process Start(string binary, params string[] arguments)
    {
        var info = LocalChildProcess.StartInfo(binary, Directory.GetCurrentDirectory());
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        // Drained and dropped: their logs would tear the progress display.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Waits until <paramref name="url"/> answers, from <paramref name="process"/>: a program that
    /// exited could not bind its port, and whatever answers there is another program.
    /// </summary>
    private static async Task WaitReadyAsync(Process process, string url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var reply = await http.GetAsync(url, cancellationToken);
                if (reply.IsSuccessStatusCode && !process.HasExited)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // slow to answer
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Path.GetFileName(process.StartInfo.FileName)} exited (code {process.ExitCode}) before {url} was ready");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{url} did not become ready within 30 s");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        prometheusPort.Stop();
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // a process was still closing a file; the temp folder is cleaned by the system
        }
    }
}
