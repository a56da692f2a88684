using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>
/// A real Prometheus (Debian package <c>prometheus</c>) on a free loopback port with its own data
/// folder, scraping every second a metrics endpoint whose values the test sets: a gauge, and a
/// request counter by status code as client libraries export it (a code's series exists only once
/// the test gives it a rate). It can be stopped and started again on the same data, reached at the
/// same address: a relay's, which holds its port while Prometheus is down (a port let go can be
/// taken by any other connection of the run, and Prometheus would then not start again).
/// </summary>
internal sealed class PrometheusProcess : IAsyncDisposable
{
    private readonly WebApplication target;
    private readonly string data;
    private readonly string config;
    private readonly TcpRelay front;
    private readonly ConcurrentDictionary<string, double> counters = new();
    private readonly Lock scrape = new();
    private Process process;
    private DateTime lastScrape = DateTime.UtcNow;

    private PrometheusProcess(Process process, WebApplication target, string data, string config, TcpRelay front)
    {
        this.process = process;
        this.target = target;
        this.data = data;
        this.front = front;
        this.config = config;
        BaseUrl = $"http://127.0.0.1:{front.Port}";
    }

    /// <summary>
    /// Requests per second the scraped service answers, by status code, as the counter
    /// <c>http_requests_total{service, environment="prod", code}</c>. A code not in here has no
    /// series at all: a client library creates <c>code="500"</c> only on the first 500.
    /// </summary>
    public ConcurrentDictionary<string, double> RequestRates { get; } = new();

    /// <summary>
    /// Stops Prometheus: queries fail (the connection is reset) until <see cref="StartAgainAsync"/>.
    /// The relay is cut first: the port Prometheus let go may be bound by another test's server.
    /// </summary>
    public Task StopAsync()
    {
        front.Cut();
        return ChildProcess.StopAsync(process);
    }

    /// <summary>Starts Prometheus again on the same data folder and address, and waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        (process, front.Target) = await StartServerAsync(config, data);
        front.Restore();
        await WaitForValueAsync(ErrorRatio, TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts Prometheus with <paramref name="config"/> and its database in <paramref name="data"/>, on a free port.</summary>
    public static Task<(Process Process, int Port)> StartServerAsync(string config, string data) =>
        ChildProcess.StartOnFreePortAsync(
            port => ChildProcess.Start("/usr/bin/prometheus", [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(data, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}"]),
            (process, port) => ChildProcess.WaitUntilReadyAsync(process, $"http://127.0.0.1:{port}/-/ready", TimeSpan.FromSeconds(30), () => "Prometheus did not become ready"));

    private string Scrape(string service)
    {
        var text = new StringBuilder($"# TYPE checkout_error_ratio gauge\ncheckout_error_ratio{{service=\"{service}\"}} {ErrorRatio.ToString(CultureInfo.InvariantCulture)}\n# TYPE http_requests_total counter\n");
        lock (scrape)
        {
            var now = DateTime.UtcNow;
            foreach (var (code, rate) in RequestRates.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                var total = counters.AddOrUpdate(code, 0, (_, count) => count + (rate * (now - lastScrape).TotalSeconds));
                text.Append(CultureInfo.InvariantCulture, $"http_requests_total{{service=\"{service}\",environment=\"prod\",code=\"{code}\"}} {total}\n");
            }

            lastScrape = now;
        }

        return text.ToString();
    }

    public string BaseUrl { get; }

    /// <summary>The value the scraped gauge <c>checkout_error_ratio</c> reports.</summary>
    public double ErrorRatio { get; set; }

    public static bool Installed => File.Exists("/usr/bin/prometheus");

    /// <summary>
    /// Starts Prometheus. With <paramref name="alertmanagerPort"/> it also evaluates the rule
    /// <c>CheckoutErrorRatioHigh</c> (ratio above 0.05, environment prod) every second and sends
    /// to that Alertmanager.
    /// </summary>
    public static async Task<PrometheusProcess> StartAsync(double initialErrorRatio, string service = "checkout", int? alertmanagerPort = null)
    {
        RealParts.Require(Installed, "prometheus (Debian package 'prometheus'; scripts/test.sh installs it)");
        PrometheusProcess? self = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var target = builder.Build();
        target.MapGet("/metrics", () => Results.Text(self!.Scrape(service), "text/plain; version=0.0.4"));
        await target.StartAsync();
        var targetAddress = new Uri(target.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        var data = Path.Combine(Path.GetTempPath(), $"rollback-prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var config = Path.Combine(data, "prometheus.yml");
        var alerting = alertmanagerPort is { } amPort
            ? $"""
              rule_files: ['{Path.Combine(data, "rules.yml")}']
              alerting:
                alertmanagers:
                  - static_configs:
                      - targets: ['127.0.0.1:{amPort}']
              """
            : "";
        await File.WriteAllTextAsync(Path.Combine(data, "rules.yml"), """
            groups:
              - name: checkout
                rules:
                  - alert: CheckoutErrorRatioHigh
                    expr: max by (service) (checkout_error_ratio) > 0.05
                    labels:
                      environment: prod
                      severity: page
                    annotations:
                      summary: "error ratio {{ $value }}"
            """);
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            {alerting}
            scrape_configs:
              - job_name: app
                static_configs:
                  - targets: ['127.0.0.1:{targetAddress.Port}']
            """);
        Process process;
        int port;
        try
        {
            (process, port) = await StartServerAsync(config, data);
        }
        catch
        {
            await target.DisposeAsync();
            Directory.Delete(data, recursive: true);
            throw;
        }

        self = new PrometheusProcess(process, target, data, config, new TcpRelay(port)) { ErrorRatio = initialErrorRatio };
        try
        {
            await self.WaitForValueAsync(initialErrorRatio, TimeSpan.FromSeconds(30));
            return self;
        }
        catch
        {
            await self.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until Prometheus has scraped <paramref name="value"/>, so a test never races the first scrape.</summary>
    public async Task WaitForValueAsync(double value, TimeSpan timeout)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var reply = await http.GetFromJsonAsync<JsonObject>($"{BaseUrl}/api/v1/query?query=checkout_error_ratio");
                var result = reply?["data"]?["result"]?.AsArray();
                if (result is { Count: > 0 } && double.Parse(result[0]!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture) == value)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, $"Prometheus did not report checkout_error_ratio={value}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcess.StopAsync(process);
        await front.DisposeAsync();
        await target.DisposeAsync();
        Directory.Delete(data, recursive: true);
    }
}
