using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Configuration;
using RollbackFunctions.Local;

namespace RollbackFunctions.Integration.Tests.Docs;

/// <summary>
/// The configuration keys the product reads, found in its code rather than listed by hand: the
/// sections its composition binds options types to (read from the registrations themselves), the
/// properties of those types as the configuration binder walks them, the options bound outside the
/// container (a <c>Section</c> constant on the type), and the keys read by name from
/// <c>IConfiguration</c> in the source. Keys are written as the configuration page writes them:
/// <c>&lt;name&gt;</c> for a dictionary entry, <c>N</c> for a list index.
/// </summary>
internal static partial class BoundConfiguration
{
    /// <summary>Every options type the product composes, with the section it is bound to.</summary>
    public static IReadOnlyDictionary<Type, string> Sections()
    {
        var services = new ServiceCollection();
        services.AddRollbackServices(new ConfigurationBuilder().Build());
        var sections = services
            .Where(s => s.ServiceType.IsGenericType && s.ServiceType.GetGenericTypeDefinition() == typeof(IOptionsChangeTokenSource<>))
            .Select(s => s.ImplementationInstance)
            .Where(source => source?.GetType().GetGenericTypeDefinition() == typeof(ConfigurationChangeTokenSource<>))
            .ToDictionary(source => source!.GetType().GetGenericArguments()[0], source => SectionOf(source!));
        foreach (var type in ProductTypes().Where(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true }))
        {
            sections[type] = (string)type.GetField("Section")!.GetRawConstantValue()!;
        }

        return sections;
    }

    /// <summary>Options types of the product that no bound section reaches: bound some way this class cannot see.</summary>
    public static IEnumerable<Type> Unreached(IReadOnlyDictionary<Type, string> sections)
    {
        var reached = new HashSet<Type>();
        foreach (var root in sections.Keys)
        {
            Walk(root, "", [], reached, _ => { });
        }

        return ProductTypes().Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal) && !reached.Contains(t));
    }

    /// <summary>The keys the options types bind, <c>Rollback:Storage:RetainDeploys</c> and the like.</summary>
    public static IEnumerable<string> OptionKeys(IReadOnlyDictionary<Type, string> sections)
    {
        var keys = new List<string>();
        foreach (var (type, section) in sections)
        {
            Walk(type, section, [], [], keys.Add);
        }

        return keys;
    }

    /// <summary>Keys read by name (<c>configuration["..."]</c>) anywhere in <c>src/</c>.</summary>
    public static IEnumerable<string> KeysReadByName() =>
        Directory.EnumerateFiles(Path.Combine(Repo.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => IndexerRead().Matches(File.ReadAllText(path)).Select(m => m.Groups["key"].Value))
            .Distinct(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The binder's view of a type: a property it can set (or a collection it can fill) is a key;
    /// a dictionary adds a <c>&lt;name&gt;</c> segment and a list of objects an <c>N</c>; a value
    /// a string converts to (numbers, enums, <see cref="TimeSpan"/>, <see cref="Uri"/>) ends it.
    /// </summary>
    private static void Walk(Type type, string path, HashSet<Type> onPath, HashSet<Type> reached, Action<string> key)
    {
        if (IsLeaf(type))
        {
            key(path);
            return;
        }

        if (DictionaryValue(type) is { } value)
        {
            Walk(value, $"{path}:<name>", onPath, reached, key);
            return;
        }

        if (ListItem(type) is { } item)
        {
            Walk(item, IsLeaf(item) ? path : $"{path}:N", onPath, reached, key);
            return;
        }

        if (!onPath.Add(type))
        {
            return; // a type met again on its own path (a cycle) adds no key
        }

        reached.Add(type);

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // Without a setter the binder can only fill a collection it is handed: a computed
            // IEnumerable (RoleNames) is not a key.
            var bindable = property.GetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0
                && (property.SetMethod is { IsPublic: true } || (!property.PropertyType.IsArray && GenericInterface(property.PropertyType, typeof(ICollection<>)) is not null));
            if (bindable)
            {
                Walk(property.PropertyType, path.Length == 0 ? property.Name : $"{path}:{property.Name}", onPath, reached, key);
            }
        }

        onPath.Remove(type);
    }

    private static bool IsLeaf(Type type) =>
        type == typeof(string) || type.IsPrimitive || type.IsEnum || Nullable.GetUnderlyingType(type) is not null
        || (type != typeof(object) && !typeof(IEnumerable).IsAssignableFrom(type) && TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string)));

    private static Type? DictionaryValue(Type type) =>
        (GenericInterface(type, typeof(IDictionary<,>)) ?? GenericInterface(type, typeof(IReadOnlyDictionary<,>)))?.GetGenericArguments()[1];

    private static Type? ListItem(Type type) =>
        type.IsArray ? type.GetElementType()
        : type != typeof(string) && GenericInterface(type, typeof(IEnumerable<>)) is { } enumerable ? enumerable.GetGenericArguments()[0] : null;

    private static Type? GenericInterface(Type type, Type definition) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == definition ? type
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);

    private static IEnumerable<Type> ProductTypes() =>
        new[] { typeof(RollbackServices).Assembly, typeof(Core.Deploys.DeployRegistration).Assembly, typeof(Infrastructure.Configuration.AdapterServices).Assembly, typeof(LocalRuntime).Assembly }
            .Distinct()
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsClass && !t.IsAbstract);

    private static string SectionOf(object changeTokenSource) =>
        changeTokenSource.GetType().GetField("_config", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(changeTokenSource) is IConfigurationSection section
            ? section.Path
            : throw new InvalidOperationException($"cannot read the section of {changeTokenSource.GetType()}: the options library changed its field");

    // configuration["Rollback:Storage:ConnectionString"], builder.Configuration["urls"], host["accountName"] is not a key (lower case receiver).
    [GeneratedRegex("""[Cc]onfiguration\["(?<key>[^"]+)"\]""")]
    private static partial Regex IndexerRead();
}
