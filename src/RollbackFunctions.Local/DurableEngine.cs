using System.Net;
using Azure;
using Azure.Data.Tables;
using DurableTask.AzureStorage;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace RollbackFunctions.Local;

/// <summary>
/// The durable engine of the local runtime: the Durable Task gRPC sidecar over the Azure Storage
/// provider, the same backend Durable Functions uses in Azure. History lives in storage, so an
/// orchestration survives a crash of this process and several processes can share one task hub.
/// The sidecar listens on a free loopback port; the worker and client connect over gRPC.
/// </summary>
public sealed class DurableEngine : IAsyncDisposable
{
    private readonly WebApplication sidecar;
    private readonly ILoggerFactory loggerFactory;
    private readonly GracefulHandover handover;
    private readonly DurableEngineOptions options;

    private DurableEngine(WebApplication sidecar, GrpcChannel channel, ILoggerFactory loggerFactory, GracefulHandover handover, DurableEngineOptions options)
    {
        this.sidecar = sidecar;
        this.loggerFactory = loggerFactory;
        this.handover = handover;
        this.options = options;
        Channel = channel;
    }

    /// <summary>Channel for <c>UseGrpc</c> on the Durable worker and client.</summary>
    public GrpcChannel Channel { get; }

    public static async Task<DurableEngine> StartAsync(DurableEngineOptions options)
    {
        if (options.PartitionCount is < 1 or > 16)
        {
            throw new InvalidOperationException($"{DurableEngineOptions.Section}:PartitionCount is {options.PartitionCount}: the Azure Storage provider takes 1 to 16 control queues.");
        }

        await RefuseAnotherPartitionCountAsync(options);
        // The engine's own chatter is only interesting when something is wrong.
        var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(options.LogLevel));
        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.TaskHub,
            StorageAccountClientProvider = new StorageAccountClientProvider(options.ConnectionString),
            // The provider backs off up to 30 s when queues are idle; an alert after a quiet spell
            // must start reverting within a second or two.
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            // A message taken by a process that then crashed reappears after this long, and a dead
            // process's partitions are taken over once its lease runs out: together they bound how
            // long a rollback in progress waits before another (or the restarted) process resumes it.
            // Running activities keep their message hidden (ActivityLockRenewal), so a long revert
            // is not run twice.
            ControlQueueVisibilityTimeout = options.VisibilityTimeout,
            WorkItemQueueVisibilityTimeout = options.VisibilityTimeout,
            PartitionCount = options.PartitionCount,
            UseTablePartitionManagement = true,
            LeaseInterval = options.VisibilityTimeout,
            LeaseRenewInterval = options.VisibilityTimeout / 3,
            LeaseAcquireInterval = options.VisibilityTimeout / 3,
            // Each process its own worker: two processes on one machine must not both believe they
            // own a partition (the default is the machine name).
            WorkerId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}",
            LoggerFactory = loggerFactory,
        });
        await service.CreateIfNotExistsAsync();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Stopped by this class only, after the handover: with the console lifetime it would also stop
        // on SIGTERM, on its own, and its dispatchers with it while the handover still needs them.
        builder.Services.AddSingleton<IHostLifetime, StoppedByOwner>();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var logger = loggerFactory.CreateLogger<DurableEngine>();
        var handover = GracefulHandover.Wrap(StopAfterStart.Wrap(DuplicateActivityGuard.Wrap(ActivityLockRenewal.Wrap(service, options.VisibilityTimeout, logger))), logger);
        builder.Services.AddSingleton(handover.Service);
        builder.Services.AddSingleton<global::DurableTask.Core.IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        var sidecar = builder.Build();
        sidecar.MapGrpcService<TaskHubGrpcServer>();
        await sidecar.StartAsync();

        var address = sidecar.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DurableEngine(sidecar, GrpcChannel.ForAddress(address), loggerFactory, handover, options);
    }

    /// <summary>
    /// Every process routes an orchestration to a control queue by its own partition count, and
    /// polls only the queues it counts: on a task hub created with another count, a process would
    /// leave rollbacks on queues nobody polls, or run one in two processes at once. The hub's
    /// partition table holds a row per control queue (<c>{hub}-control-NN</c>): a row past this
    /// process's count, or fewer rows than its count of which one has been leased (a hub in use with
    /// fewer), refuses the start. Fewer rows none of which was ever leased are a creation cut short
    /// (the provider creates them one by one), which this start completes.
    /// </summary>
    private static async Task RefuseAnotherPartitionCountAsync(DurableEngineOptions options)
    {
        var partitions = new TableClient(options.ConnectionString, $"{options.TaskHub}Partitions");
        var rows = new List<TableEntity>();
        try
        {
            await foreach (var row in partitions.QueryAsync<TableEntity>(select: ["RowKey", "CurrentOwner", "OwnedSince", "LastRenewal"]))
            {
                rows.Add(row);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return; // a new task hub
        }

        var created = rows.Select(r => int.TryParse(r.RowKey[(r.RowKey.LastIndexOf('-') + 1)..], out var index) ? index + 1 : 0).DefaultIfEmpty(0).Max();
        var used = rows.Any(r => r.GetString("CurrentOwner") is not null || r.GetDateTimeOffset("OwnedSince") is not null || r.GetDateTimeOffset("LastRenewal") is not null);
        if (created > options.PartitionCount || (rows.Count < options.PartitionCount && used))
        {
            var has = Math.Max(created, rows.Count);
            throw new InvalidOperationException(
                $"{DurableEngineOptions.Section}:PartitionCount is {options.PartitionCount}, but task hub '{options.TaskHub}' has {has} control queues: " +
                $"set it to {has}, or use a new {DurableEngineOptions.Section}:TaskHub once no rollback runs on this one.");
        }
    }

    /// <summary>
    /// On a graceful stop, while the worker is still connected: lets running activities finish (at most
    /// <see cref="DurableEngineOptions.DrainTimeout"/>), gives back the rest, and releases this process's
    /// partitions so the next runtime on the task hub takes them at once (<see cref="GracefulHandover"/>).
    /// </summary>
    public Task HandOverAsync(CancellationToken cancellationToken) => handover.HandOverAsync(options.DrainTimeout, cancellationToken);

    /// <summary>
    /// How long a handover may take at most: the drain, then the lease release within one visibility
    /// timeout (past it, what was not released runs out by itself anyway).
    /// </summary>
    public TimeSpan HandoverLimit => options.DrainTimeout + options.VisibilityTimeout;

    public async ValueTask DisposeAsync()
    {
        // Without a host stop before (a program that only disposes), hand over here; the worker may be
        // gone, so running activities are given back at the drain limit.
        using (var bound = new CancellationTokenSource(HandoverLimit))
        {
            try
            {
                await HandOverAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                LocalLog.HandoverCutShort(loggerFactory.CreateLogger<DurableEngine>(), options.VisibilityTimeout);
            }
        }

        await Channel.ShutdownAsync();
        Channel.Dispose();
        await sidecar.StopAsync();
        await sidecar.DisposeAsync();
        loggerFactory.Dispose();
    }
}

/// <summary>A host lifetime that neither waits for nor reacts to signals: its owner stops the host.</summary>
internal sealed class StoppedByOwner : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Settings of the local durable engine, bound from <c>Rollback:Durable</c>.</summary>
public sealed class DurableEngineOptions
{
    /// <summary>Read before the container exists (the engine starts first), so bound by hand from here.</summary>
    public const string Section = "Rollback:Durable";

    public string ConnectionString { get; set; } = "";

    /// <summary>Task hub name: letters and digits, 3-45 characters.</summary>
    public string TaskHub { get; set; } = "RollbackHub";

    /// <summary>
    /// Control queues of the task hub (1-16): at most this many processes share the orchestrations'
    /// work. A task hub keeps the count it was created with; a runtime counting otherwise refuses
    /// to start.
    /// </summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>Longest idle back-off of the queue polling.</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a dequeued message stays invisible and a partition lease lasts unrenewed: after a
    /// crash, about how long until another process (or the restarted one) resumes the rollback.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// On a graceful stop, how long running activities may take to finish before they are given back
    /// (their messages reappear for the next runtime, which runs them again with the same idempotency
    /// key). Short enough that, with the lease release after it, the stop fits in a container's grace
    /// period (10 s for <c>docker stop</c>, 30 s on Kubernetes).
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The least severe message of the engine's own that is written to the console.</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Warning;
}
