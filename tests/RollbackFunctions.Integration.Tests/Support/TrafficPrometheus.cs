using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>The traffic of one (service, track): requests per second and the share that fails.</summary>
internal sealed record Traffic(double RequestsPerSecond, double ErrorRatio);

/// <summary>
/// A real Prometheus (Debian package <c>prometheus</c>) scraping every second a simulated service's
/// <c>http_requests_total{service, track, code}</c> counters, which grow at the rates the test sets:
/// what divergence and burn-rate queries (<c>rate(...)</c> over counters) need, where
/// <see cref="PrometheusProcess"/> serves one gauge. Each scrape adds rate × elapsed requests, of
/// which the error ratio (±30 %, seeded, so intervals differ as real ones do) answered 500.
/// </summary>
internal sealed class TrafficPrometheus : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Service, string Track), Traffic> traffic = new();
    private readonly Dictionary<(string Service, string Track, string Code), double> counters = [];
    private readonly Random jitter = new(16);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan lastScrape;
    private Process? process;
    private WebApplication? target;
    private string? data;

    public string BaseUrl { get; private set; } = "";

    public void Set(string service, string track, Traffic value) => traffic[(service, track)] = value;

    public static async Task<TrafficPrometheus> StartAsync()
    {
        RealParts.Require(PrometheusProcess.Installed, "prometheus (Debian package 'prometheus'; scripts/test.sh installs it)");
        var self = new TrafficPrometheus();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        self.target = builder.Build();
        self.target.MapGet("/metrics", () => Results.Text(self.Scrape(), "text/plain; version=0.0.4"));
        await self.target.StartAsync();
        var targetPort = new Uri(self.target.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

        self.data = Path.Combine(Path.GetTempPath(), $"rollback-traffic-{Guid.NewGuid():N}");
        Directory.CreateDirectory(self.data);
        var config = Path.Combine(self.data, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: app
                static_configs:
                  - targets: ['127.0.0.1:{targetPort}']
            """);
        try
        {
            (self.process, var port) = await PrometheusProcess.StartServerAsync(config, self.data);
            self.BaseUrl = $"http://127.0.0.1:{port}";
            return self;
        }
        catch
        {
            await self.DisposeAsync();
            throw;
        }
    }

    /// <summary>Advances every counter by what its traffic did since the last scrape, and writes them out.</summary>
    private string Scrape()
    {
        lock (counters)
        {
            var now = clock.Elapsed;
            var seconds = (now - lastScrape).TotalSeconds;
            lastScrape = now;
            foreach (var ((service, track), t) in traffic)
            {
                var requests = t.RequestsPerSecond * seconds;
                var errors = requests * Math.Min(1, t.ErrorRatio * (0.7 + 0.6 * jitter.NextDouble()));
                Add((service, track, "500"), errors);
                Add((service, track, "200"), requests - errors);
            }

            var text = new StringBuilder("# TYPE http_requests_total counter\n");
            foreach (var ((service, track, code), value) in counters)
            {
                text.Append(CultureInfo.InvariantCulture, $"http_requests_total{{service=\"{service}\",track=\"{track}\",code=\"{code}\"}} {value.ToString("R", CultureInfo.InvariantCulture)}\n");
            }

            return text.ToString();
        }
    }

    private void Add((string, string, string) key, double amount) => counters[key] = counters.GetValueOrDefault(key) + amount;

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await ChildProcess.StopAsync(process);
        }

        if (target is not null)
        {
            await target.DisposeAsync();
        }

        if (data is not null)
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
