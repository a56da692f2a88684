using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace RollbackFunctions.Local.Demo;

/// <summary>
/// The fire drill's production: a service whose error ratio Prometheus scrapes from
/// <c>/metrics</c>, and local stand-ins for the layers a deploy touches (infrastructure, schema,
/// config, flags, the Kubernetes rollout), each reverted by a webhook. Reverting the rollout
/// puts the old version back, and the error ratio falls.
/// </summary>
public sealed class SimulatedService : IAsyncDisposable
{
    public const string Metric = "demo_checkout_error_ratio";
    public const string HealthyRatio = "0.01";

    private readonly WebApplication app;

    private SimulatedService(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>The error ratio production shows now.</summary>
    public double ErrorRatio { get; set; } = double.Parse(HealthyRatio, CultureInfo.InvariantCulture);

    /// <summary>Layers reverted so far, in the order their webhooks arrived.</summary>
    public ConcurrentQueue<string> Reverted { get; } = new();

    public static async Task<SimulatedService> StartAsync(string service)
    {
        SimulatedService? self = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/metrics", () => Results.Text(
            $"# TYPE {Metric} gauge\n{Metric}{{service=\"{service}\"}} {self!.ErrorRatio.ToString(CultureInfo.InvariantCulture)}\n",
            "text/plain; version=0.0.4"));
        app.MapPost("/revert/{layer}", async (string layer) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(600)); // a revert takes a moment, so the display can show it
            if (layer == "rollout")
            {
                self!.ErrorRatio = double.Parse(HealthyRatio, CultureInfo.InvariantCulture);
            }

            self!.Reverted.Enqueue(layer);
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new SimulatedService(app, address);
        return self;
    }

    public string RevertUrl(string layer) => $"{BaseUrl}/revert/{layer}";

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
