using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using RollbackFunctions.Local;

namespace RollbackFunctions.Testing;

/// <summary>
/// One Azurite for the whole test run. Where a Docker engine answers it runs in a container
/// (Testcontainers); otherwise, as on the project's own machines, it is the repository's npm
/// Azurite on free loopback ports, data in memory as in the container. Which one ran is written to the
/// test log. Tests isolate themselves by table prefix and task hub.
/// </summary>
public static class SharedAzurite
{
    private const string Image = "mcr.microsoft.com/azure-storage/azurite:3.35.0";

    private static readonly Lazy<Task<Running?>> Instance = new(StartAsync);

    /// <summary>The connection string, or a skip (a failure under CI=true) when Azurite cannot run here.</summary>
    public static async Task<string> ConnectionStringAsync()
    {
        var azurite = await Instance.Value;
        RealParts.Require(azurite is not null, "Azurite could not start (is Node.js installed? see README)");
        return azurite!.ConnectionString;
    }

    /// <summary>
    /// An Azurite of the test's own (npm), for a test that measures the engine's timing and must not
    /// wait behind other tests' storage traffic, or whose own traffic would make every other test
    /// wait. Dispose it to stop it and delete its data.
    /// </summary>
    public static async Task<Private> StartPrivateAsync()
    {
        var running = await StartNpmAsync();
        RealParts.Require(running is not null, "Azurite could not start (is Node.js installed? see README)");
        return new Private(running!.ConnectionString, running.Stop);
    }

    /// <summary>
    /// Deletes a task hub a test no longer needs: its queues, and with them the durable timers and
    /// messages its runtime left behind. Azurite keeps every queue's messages in one collection and
    /// rescans it on each poll, so what finished tests leave slows every later poll of the run.
    /// </summary>
    public static async Task DeleteTaskHubAsync(string taskHub)
    {
        using var service = new DurableTask.AzureStorage.AzureStorageOrchestrationService(new DurableTask.AzureStorage.AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = taskHub,
            StorageAccountClientProvider = new DurableTask.AzureStorage.StorageAccountClientProvider(await ConnectionStringAsync()),
            UseTablePartitionManagement = true,
        });
        await service.DeleteAsync();
    }

    /// <summary>"container" or "npm", once started.</summary>
    public static async Task<string?> KindAsync() => (await Instance.Value)?.Kind;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<Running?> StartAsync()
    {
        var running = (DockerMayAnswer() ? await StartContainerAsync() : null) ?? await StartNpmAsync();
        Console.Error.WriteLine(running is null ? "Azurite: none could start" : $"Azurite: {running.Kind} ({running.ConnectionString.Split(';').First(p => p.StartsWith("TableEndpoint", StringComparison.Ordinal))})");
        if (running is not null)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => running.Stop().GetAwaiter().GetResult();
        }

        return running;
    }

    private static bool DockerMayAnswer() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");

    private static async Task<Running?> StartContainerAsync()
    {
        try
        {
            var container = new ContainerBuilder(Image)
                .WithCommand("azurite", "--blobHost", "0.0.0.0", "--queueHost", "0.0.0.0", "--tableHost", "0.0.0.0", "--skipApiVersionCheck", "--inMemoryPersistence", "--disableTelemetry")
                .WithPortBinding(10000, true)
                .WithPortBinding(10001, true)
                .WithPortBinding(10002, true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(10002))
                .Build();
            await container.StartAsync();
            var connection = AzuriteProcess.ConnectionStringFor(container.GetMappedPublicPort(10000), container.GetMappedPublicPort(10001), container.GetMappedPublicPort(10002))
                .Replace("127.0.0.1", container.Hostname, StringComparison.Ordinal);
            return new Running(connection, "container", () => container.DisposeAsync().AsTask());
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Azurite: Docker did not start the container ({e.Message}); using the npm Azurite");
            return null;
        }
    }

    /// <summary>
    /// The npm Azurite on three free ports; tried again (at most three times) when it did not start,
    /// because a port found free can be taken by another test host's process before Azurite binds it.
    /// </summary>
    private static async Task<Running?> StartNpmAsync()
    {
        Running? running = null;
        for (var attempt = 1; running is null && attempt <= 3; attempt++)
        {
            running = await StartNpmOnceAsync();
        }

        return running;
    }

    private static async Task<Running?> StartNpmOnceAsync()
    {
        var data = Repo.TempFolder("azurite");
        try
        {
            var azurite = await AzuriteProcess.StartAsync(Repo.Root, data, FreePort(), FreePort(), FreePort(), Console.Error.WriteLine, inMemory: true);
            return new Running(azurite.ConnectionString, "npm", async () =>
            {
                await azurite.StopAsync(keepData: false);
                Directory.Delete(data, recursive: true);
            });
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"Azurite did not start: {e.Message}");
            return null;
        }
    }

    private sealed record Running(string ConnectionString, string Kind, Func<Task> Stop);

    public sealed class Private(string connectionString, Func<Task> stop) : IAsyncDisposable
    {
        public string ConnectionString => connectionString;

        public ValueTask DisposeAsync() => new(stop());
    }
}
