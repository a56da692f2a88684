using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.FeatureFlags;

public sealed partial class FeatureFlagExecutor
{
    /// <summary>
    /// Reads the flag back from its store (reachable, credentials accepted, the flag there) and checks
    /// a value from before the deploy was captured to write back. Nothing is written. Values appear
    /// only as the one summary rule shows them (text as a digest).
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var flag) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        if (request.Captured is not { } captured || !captured.ContainsKey("value"))
        {
            return StepRehearsal.Fails($"{flag}: nothing was captured at registration");
        }

        var wanted = captured["value"];
        try
        {
            var current = await StoreFor(flag).ReadAsync(flag.Name, flag.Label, cancellationToken);
            return !current.Exists ? StepRehearsal.Fails($"{flag} does not exist in its store any more")
                : JsonNode.DeepEquals(current.Value, wanted) ? StepRehearsal.Ok($"{flag} reads {Show(wanted)}, the value from before the deploy: nothing to restore yet")
                : StepRehearsal.Ok($"{flag} reads {Show(current.Value)}; the revert would write back {Show(wanted)} (captured {(string?)captured["from"] ?? "at registration"}) and read it again");
        }
        catch (FlagStoreRefusedException e)
        {
            return StepRehearsal.Fails($"{flag}: {e.Message}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            return StepRehearsal.Fails($"{flag}: the store could not be read: {e.Message}");
        }
    }
}
