namespace ContactOpt.Wrappers;

/// <summary>
/// Gymnasium 1.x's vector-env info convention: the infos of n sub-environments become one <see cref="Info"/> whose
/// entry <c>key</c> is an array of length n (element i = sub-env i's value; zero/null where it gave none) and whose
/// entry <c>_key</c> is a <c>bool[]</c> mask of the sub-envs that gave it. The array's element type is that of the
/// first value seen (a <c>double</c> gives <c>double[]</c>, a <c>double[]</c> gives <c>double[][]</c>); a later value
/// of another type turns the array into <c>object?[]</c>. Nested <see cref="Info"/> values (<c>final_info</c>) are
/// merged recursively into a nested dict of arrays, as Gymnasium's <c>_add_info</c> does.
/// </summary>
public static class VectorInfo
{
    /// <summary>Adds <paramref name="envInfo"/> of sub-env <paramref name="index"/> (of <paramref name="numEnvs"/>) to <paramref name="vectorInfo"/>.</summary>
    public static Info Add(Info vectorInfo, IReadOnlyDictionary<string, object> envInfo, int index, int numEnvs)
    {
        ArgumentNullException.ThrowIfNull(vectorInfo);
        ArgumentNullException.ThrowIfNull(envInfo);
        if ((uint)index >= (uint)numEnvs) throw new ArgumentOutOfRangeException(nameof(index), index, $"sub-env index must be in 0..{numEnvs - 1}.");
        foreach (var (key, value) in envInfo)
        {
            if (value is Info nested)
            {
                var merged = vectorInfo.TryGetValue(key, out var existing) && existing is Info e ? e : new Info();
                vectorInfo[key] = Add(merged, nested, index, numEnvs);
            }
            else
            {
                Array array;
                if (!vectorInfo.TryGetValue(key, out var existing) || existing is not Array a || a.Length != numEnvs)
                    array = value is null ? new object?[numEnvs] : Array.CreateInstance(value.GetType(), numEnvs);
                else array = a;
                if (value is not null && !array.GetType().GetElementType()!.IsInstanceOfType(value))
                {
                    var boxed = new object?[numEnvs];
                    Array.Copy(array, boxed, numEnvs);
                    array = boxed;
                }
                array.SetValue(value, index);
                vectorInfo[key] = array;
            }
            var maskKey = "_" + key;
            if (!(vectorInfo.TryGetValue(maskKey, out var m) && m is bool[] mask && mask.Length == numEnvs))
                vectorInfo[maskKey] = mask = new bool[numEnvs];
            mask[index] = true;
        }
        return vectorInfo;
    }

    /// <summary>The merged infos of all sub-environments (<paramref name="envInfos"/>[i] of sub-env i).</summary>
    public static Info Merge(IReadOnlyList<IReadOnlyDictionary<string, object>> envInfos)
    {
        ArgumentNullException.ThrowIfNull(envInfos);
        var info = new Info();
        for (int i = 0; i < envInfos.Count; i++) Add(info, envInfos[i], i, envInfos.Count);
        return info;
    }

    /// <summary>Sub-env <paramref name="index"/>'s value of <paramref name="key"/> in a merged info, if its mask says it gave one.</summary>
    public static bool TryGet<T>(this Info vectorInfo, string key, int index, out T value)
    {
        ArgumentNullException.ThrowIfNull(vectorInfo);
        value = default!;
        if (!(vectorInfo.TryGetValue("_" + key, out var m) && m is bool[] mask && (uint)index < (uint)mask.Length && mask[index])) return false;
        if (!(vectorInfo.TryGetValue(key, out var a) && a is Array array) || array.GetValue(index) is not T t) return false;
        value = t;
        return true;
    }
}
