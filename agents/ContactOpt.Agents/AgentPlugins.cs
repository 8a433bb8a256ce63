using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;

namespace ContactOpt.Agents;

/// <summary>
/// The entry point of an agent plugin: a public, non-abstract class with a public parameterless constructor in the
/// plugin's assembly. The same class registers the agents in a library user's own registry
/// (<c>registry.AddRange(new MyAgents().Specs())</c>) and in the command line (<c>--agents-from MyAgents.dll</c>).
/// </summary>
public interface IAgentProvider
{
    IEnumerable<AgentSpec> Specs();
}

/// <summary>
/// Loads agents from assemblies: every public <see cref="IAgentProvider"/> of the assembly contributes its specs.
/// A plugin file is loaded once per process (the same path gives the same specs); its ContactOpt and other
/// assemblies the host already has are shared with the host (so <see cref="IAgent"/> is the host's type), and its
/// private dependencies are resolved from its own folder (its .deps.json).
/// </summary>
public static class AgentPlugins
{
    static readonly ConcurrentDictionary<string, IReadOnlyList<AgentSpec>> Loaded = new(StringComparer.Ordinal);

    /// <summary>The specs of every <see cref="IAgentProvider"/> in the assembly file at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The file is missing, not a .NET assembly, or has no provider (the message names it).</exception>
    public static IReadOnlyList<AgentSpec> Load(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("agent plugin path is empty.");
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ArgumentException($"agent plugin '{path}' does not exist.");
        return Loaded.GetOrAdd(full, p =>
        {
            Assembly assembly;
            try { assembly = new PluginLoadContext(p).LoadFromAssemblyPath(p); }
            catch (BadImageFormatException) { throw new ArgumentException($"agent plugin '{path}' is not a .NET assembly."); }
            try { return From(assembly); }
            catch (ArgumentException e) { throw new ArgumentException($"agent plugin '{path}': {e.Message}"); }
        });
    }

    /// <summary>The specs of every public <see cref="IAgentProvider"/> class of <paramref name="assembly"/>, in type-name order.</summary>
    public static IReadOnlyList<AgentSpec> From(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        Type[] types;
        try { types = assembly.GetExportedTypes(); }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        { throw new ArgumentException($"its types cannot be loaded ({e.GetType().Name}: {e.Message})."); }
        var providers = types.Where(t => typeof(IAgentProvider).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
                             .OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
        if (providers.Count == 0)
            throw new ArgumentException($"it has no public class implementing {typeof(IAgentProvider).FullName} (the entry point of an agent plugin).");
        var specs = new List<AgentSpec>();
        foreach (var t in providers)
        {
            if (t.GetConstructor(Type.EmptyTypes) is null)
                throw new ArgumentException($"agent provider {t.FullName} has no public parameterless constructor.");
            var provider = (IAgentProvider)Activator.CreateInstance(t)!;
            specs.AddRange(provider.Specs() ?? throw new ArgumentException($"agent provider {t.FullName} returned no specs (null)."));
        }
        if (specs.Count == 0) throw new ArgumentException("its agent providers declare no agents.");
        return specs;
    }

    /// <summary>Shares every assembly the host can load (ContactOpt, TorchSharp, ...); resolves the rest from the plugin's folder.</summary>
    sealed class PluginLoadContext(string pluginPath) : AssemblyLoadContext($"contactopt-plugin:{Path.GetFileName(pluginPath)}")
    {
        readonly AssemblyDependencyResolver _resolver = new(pluginPath);

        protected override Assembly? Load(AssemblyName name)
        {
            if (HostHas(name)) return null; // the default context's copy: one IAgent type for host and plugin
            var path = _resolver.ResolveAssemblyToPath(name);
            return path is null ? null : LoadFromAssemblyPath(path);
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
            return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
        }

        static bool HostHas(AssemblyName name)
        {
            if (AssemblyLoadContext.Default.Assemblies.Any(a => string.Equals(a.GetName().Name, name.Name, StringComparison.OrdinalIgnoreCase))) return true;
            var tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
            return tpa.Split(Path.PathSeparator).Any(p => string.Equals(Path.GetFileNameWithoutExtension(p), name.Name, StringComparison.OrdinalIgnoreCase));
        }
    }
}
