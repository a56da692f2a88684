using System.Net;
using System.Net.Sockets;
using RollbackFunctions.Local;

namespace RollbackFunctions.Testing;

/// <summary>
/// One Azurite (from the repository's npm dependency) for the whole test run, on free loopback
/// ports with data in a temporary folder. Tests isolate themselves by table prefix and task hub.
/// </summary>
public static class SharedAzurite
{
    private static readonly Lazy<Task<AzuriteProcess?>> Instance = new(StartAsync);

    /// <summary>The connection string, or a skip (a failure under CI=true) when Azurite cannot run here.</summary>
    public static async Task<string> ConnectionStringAsync()
    {
        var azurite = await Instance.Value;
        RealParts.Require(azurite is not null, "Azurite could not start (is Node.js installed? see README)");
        return azurite!.ConnectionString;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<AzuriteProcess?> StartAsync()
    {
        var data = Path.Combine(Path.GetTempPath(), $"rollback-azurite-{Guid.NewGuid():N}");
        try
        {
            var azurite = await AzuriteProcess.StartAsync(Repo.Root, data, FreePort(), FreePort(), FreePort(), Console.Error.WriteLine);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                azurite.DisposeAsync().AsTask().GetAwaiter().GetResult();
                Directory.Delete(data, recursive: true);
            };
            return azurite;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"Azurite did not start: {e.Message}");
            return null;
        }
    }
}
