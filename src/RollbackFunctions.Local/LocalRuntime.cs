using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using RollbackFunctions.Api.Configuration;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Api.Http;
using OpenTelemetry.Metrics;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Infrastructure.Audit;

namespace RollbackFunctions.Local;

/// <summary>
/// Builds the local runtime: the API on <c>http://127.0.0.1:7071</c> (like <c>func start</c>),
/// storage on Azurite (started here when none is configured or listening), and the durable
/// engine on the Azure Storage provider.
/// </summary>
public sealed class LocalRuntime : IAsyncDisposable
{
    /// <summary>Where the API listens unless <c>--urls</c> says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:7071";

    private const string DevelopmentStorage = "UseDevelopmentStorage=true";

    private readonly List<IAsyncDisposable> owned;

    private LocalRuntime(WebApplication app, List<IAsyncDisposable> owned)
    {
        App = app;
        this.owned = owned;
    }

    public WebApplication App { get; }

    public static async Task<LocalRuntime> BuildAsync(string[] args)
    {
        // Settings ship beside the binary, so the runtime behaves the same whatever directory it is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var owned = new List<IAsyncDisposable>();
        // Before the container exists (Azurite's stderr, the listening check): masked by what the settings name secret.
        using var bootLogging = new RedactingLoggerFactory(LoggerFactory.Create(logging => logging.AddConsole()), () => SecretRedactor.FromSettings(builder.Configuration));
        var say = bootLogging.CreateLogger("RollbackFunctions.Local");
        ChooseUrls(builder, message => say.LogWarning("{Message}", message));
        try
        {
            var connectionString = await EnsureStorageAsync(builder.Configuration, owned, message => say.LogInformation("{Message}", message));
            builder.Configuration["Rollback:Storage:ConnectionString"] = connectionString;

            var durable = builder.Configuration.GetSection(DurableEngineOptions.Section).Get<DurableEngineOptions>() ?? new DurableEngineOptions();
            durable.ConnectionString = connectionString;
            var engine = await DurableEngine.StartAsync(durable);
            owned.Insert(0, engine);

            builder.Services.AddRollbackServices(builder.Configuration);
            builder.Services.AddDurableTaskWorker(worker =>
            {
                worker.UseGrpc(engine.Channel);
                worker.AddTasks(registry => registry.AddRollbackTasks());
            });
            builder.Services.AddDurableTaskClient(client =>
            {
                client.UseGrpc(engine.Channel);
                client.RegisterDirectly();
            });
            builder.Services.AddSingleton(engine);
            builder.Services.AddHostedService<HandOverOnStop>();
            builder.Services.AddHostedService<LostClaimSweeper>();
            builder.Services.AddHostedService<StalledRollbackSweeper>();
            builder.Services.AddHostedService<DeployPruner>();
            // Replies the handlers do not write (unknown route 404, wrong method 405) are problems too.
            builder.Services.AddProblemDetails();
            builder.Services.AddRollbackOpenApi();
            builder.Services.AddRollbackTelemetry(builder.Configuration).WithMetrics(metrics => metrics.AddPrometheusExporter());

            var app = builder.Build();
            app.UseStatusCodePages();
            app.MapRollbackApi();
            app.MapOpenApi(ApiDocument.Route);
            // Aggregate counts only (no tag names a service), so it is served without a key, as scrapers expect.
            app.MapPrometheusScrapingEndpoint("/metrics");
            return new LocalRuntime(app, owned);
        }
        catch
        {
            foreach (var part in owned)
            {
                await part.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// Where to listen: <c>--urls</c> (or <c>ASPNETCORE_URLS</c>), else <see cref="DefaultUrl"/>; Kestrel's
    /// own <c>Kestrel:Endpoints</c> override both. Without API keys anyone who can reach the port could
    /// roll back production, so the runtime then refuses to start on any endpoint that is not loopback,
    /// whichever source configured it, and ignores forwarding headers (ApiAccess refuses requests that carry them).
    /// </summary>
    private static void ChooseUrls(WebApplicationBuilder builder, Action<string> say)
    {
        var configured = builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"];
        var urls = string.IsNullOrEmpty(configured) ? [DefaultUrl] : configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        builder.WebHost.UseUrls(urls);
        if (builder.Configuration.GetSection("Rollback:Auth:Keys").GetChildren().Any())
        {
            return;
        }

        var endpoints = builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>().ToList();
        var exposed = urls.Concat(endpoints).Where(url => !IsLoopback(url)).ToList();
        if (exposed.Count > 0)
        {
            throw new InvalidOperationException(
                $"No API keys configured (Rollback:Auth:Keys): the local runtime listens on loopback only, and {string.Join(", ", exposed)} is not loopback (from --urls, ASPNETCORE_URLS or Kestrel:Endpoints). Configure keys, or listen on 127.0.0.1.");
        }

        // A proxy's X-Forwarded-For must never make a remote caller look local (ASPNETCORE_FORWARDEDHEADERS_ENABLED adds the middleware).
        builder.Services.PostConfigure<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions>(options => options.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.None);
        say($"No API keys configured (Rollback:Auth:Keys): listening on loopback only ({string.Join(", ", endpoints.Count > 0 ? endpoints : urls)}), every request from this machine allowed.");
    }

    private static bool IsLoopback(string url)
    {
        // Kestrel reads *, + and an unparsable host as every interface.
        var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var uri)
            && (uri.Host == "localhost" || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip)));
    }

    /// <summary>
    /// The storage to use: what is configured, else Azurite on its usual ports, started here from
    /// the repository's npm dependency with data under <c>.data/azurite</c> when nothing listens.
    /// </summary>
    private static async Task<string> EnsureStorageAsync(IConfiguration configuration, List<IAsyncDisposable> owned, Action<string> say)
    {
        var configured = configuration["Rollback:Storage:ConnectionString"];
        if (string.IsNullOrEmpty(configured))
        {
            configured = configuration["AzureWebJobsStorage"];
        }

        if (!string.IsNullOrEmpty(configured) && configured != DevelopmentStorage)
        {
            return configured;
        }

        var development = AzuriteProcess.ConnectionStringFor(10000, 10001, 10002);
        if (await AzuriteProcess.IsListeningAsync(10002))
        {
            say("Using the Azurite already listening on 127.0.0.1:10000-10002.");
            return development;
        }

        var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? AzuriteProcess.FindRepoRoot(Directory.GetCurrentDirectory())
            ?? throw new InvalidOperationException("no storage configured and the repository (for its Azurite) was not found; set Rollback__Storage__ConnectionString");
        var data = configuration["Local:AzuriteData"] ?? Path.Combine(root, ".data", "azurite");
        say($"No storage configured: starting Azurite with data in {data}.");
        owned.Add(await AzuriteProcess.StartAsync(root, data, 10000, 10001, 10002, say));
        return development;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        foreach (var part in owned)
        {
            await part.DisposeAsync();
        }
    }
}
