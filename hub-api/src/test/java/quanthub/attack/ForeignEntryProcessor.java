package quanthub.attack;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A class outside QuantHub's packages that a stranger on the cluster port sends to a member as an entry processor
 * (standing in for a Java-deserialization gadget of some library): the member must refuse to deserialize it, so it
 * never runs. In its own package on purpose: QuantHub's members deserialize only {@code io.quanthub.} classes and
 * the JDK's.
 */
public final class ForeignEntryProcessor implements EntryProcessor<Object, Object, Object> {
    /** Set when a member ran it (the test and the member share this JVM). */
    public static final AtomicBoolean RAN = new AtomicBoolean();

    @Override
    public Object process(Map.Entry<Object, Object> entry) {
        RAN.set(true);
        return null;
    }
}
