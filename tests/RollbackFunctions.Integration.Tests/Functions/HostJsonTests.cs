using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json.Nodes;

namespace RollbackFunctions.Integration.Tests.Functions;

/// <summary>
/// host.json's durableTask section, checked against the options classes the Functions host binds
/// it to: the Durable extension the build puts in <c>.azurefunctions</c> for the host to load. A
/// misspelt key is silently ignored by the host (a 5-minute visibility timeout instead of one
/// minute, say); here it fails.
/// </summary>
public sealed class HostJsonTests
{
    private static readonly string Extension = Path.Combine(Repo.BuildOutput("RollbackFunctions"), ".azurefunctions", "Microsoft.Azure.WebJobs.Extensions.DurableTask.dll");

    [Fact]
    public void DurableTaskSection_EveryKeyIsAnOptionOfTheExtension_AndEveryTimeSpanParses()
    {
        Assert.True(File.Exists(Extension), $"{Extension} is missing: build the solution first");
        var durable = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "host.json")))!["extensions"]!["durableTask"]!.AsObject();
        var options = PropertiesOf("DurableTaskOptions");
        var storage = PropertiesOf("AzureStorageOptions");

        Assert.All(durable.Select(p => p.Key), key => Assert.Contains(key, options, StringComparer.OrdinalIgnoreCase));
        var provider = durable["storageProvider"]!.AsObject();
        // "type" picks the provider; every other key is a property of the Azure Storage provider's options.
        Assert.All(provider.Select(p => p.Key).Where(k => k != "type"), key => Assert.Contains(key, storage, StringComparer.OrdinalIgnoreCase));
        Assert.All(
            provider.Where(p => p.Key.EndsWith("Timeout", StringComparison.Ordinal) || p.Key.EndsWith("Interval", StringComparison.Ordinal)),
            p => Assert.True(TimeSpan.TryParse(p.Value!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _), $"{p.Key}: '{p.Value}' is not a TimeSpan"));
    }

    /// <summary>Public property names of the extension's type <paramref name="name"/>, read from its metadata without loading it.</summary>
    private static HashSet<string> PropertiesOf(string name)
    {
        using var stream = File.OpenRead(Extension);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var type = metadata.TypeDefinitions.Select(metadata.GetTypeDefinition).Single(t => metadata.GetString(t.Name) == name);
        return type.GetProperties().Select(p => metadata.GetString(metadata.GetPropertyDefinition(p).Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }
}
